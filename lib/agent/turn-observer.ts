/** How one run of a function tool ended: `timeout` at the tool's own timeout, `aborted` by hang-up, barge-in or `close()`. */
export type ToolOutcome = 'ok' | 'error' | 'timeout' | 'aborted'

/** How a caller's turn in an agent state ended: the model answered, took a transition, failed, or was cut off. */
export type AgentTurnEnd = 'answer' | 'transition' | 'error' | 'interrupted'

/**
 * Told of the turns of one call's agent states, to measure them: where the
 * time of a turn went (the model, each tool), and how it ended. The
 * engine puts one on each call's actor system; without one an agent state
 * measures nothing.
 */
export interface AgentTurnObserver {
  /** A caller's turn reached the agent state `agent` (its id): its model is asked. */
  turnStarted (agent: string): void
  /** The turn ended; a turn the caller began anew ends `interrupted`. */
  turnEnded (end: AgentTurnEnd): void
  /** The model is asked, in the turn; returns what is called once it has answered or stopped. */
  modelStarted (): () => void
  /** A function tool starts to run, in a round of the turn (from 1); returns what is told how it ended, with its result or error as the model gets it. */
  toolStarted (name: string, args: unknown, round: number): (outcome: ToolOutcome, result: string) => void
}

// Kept on the call's system itself, as the routing of its work is: no WeakMap table to grow.
const OBSERVER = Symbol('fastify-ai-flow.agentTurns')

/** Makes `observer` measure the agent turns of the call whose actor system this is. */
export function observeAgentTurns (system: object, observer: AgentTurnObserver): void {
  Object.defineProperty(system, OBSERVER, { value: observer, configurable: true })
}

/** The observer of the call whose actor system this is, if it has one. */
export function agentTurnsOf (system: unknown): AgentTurnObserver | undefined {
  return (system as { [OBSERVER]?: AgentTurnObserver } | undefined)?.[OBSERVER]
}
