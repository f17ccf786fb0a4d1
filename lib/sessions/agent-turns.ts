import type { AgentTurnEnd, AgentTurnObserver, ToolOutcome } from '../agent/turn-observer'
import type { CallTelemetry } from '../telemetry'

/** One run of a function tool of a call, as the live view's transcript shows it. */
export interface ToolCallNews {
  /** Unix time in ms at which it started. */
  at: number
  name: string
  /** Its arguments, as the model gave them. */
  args: unknown
  /** Its round in the caller's turn, from 1. */
  round: number
  outcome: ToolOutcome
  /** Its result or error, as the model was given it. */
  result: string
  /** How long it ran. */
  ms: number
}

/** Told of each function tool run of the calls held here, once it ended; it must not throw. */
export type ToolWatcher = (callId: string, tool: ToolCallNews) => void

const untimed = (): void => {}

/**
 * What one call's agent states tell of their turns goes to telemetry (its
 * spans, metrics and summary line), and each tool run that ended to the
 * tool watchers (the live view).
 */
export class CallAgentTurns implements AgentTurnObserver {
  readonly #callId: string
  readonly #telemetry: CallTelemetry | undefined
  readonly #watchers: ReadonlySet<ToolWatcher>

  constructor (callId: string, telemetry: CallTelemetry | undefined, watchers: ReadonlySet<ToolWatcher>) {
    this.#callId = callId
    this.#telemetry = telemetry
    this.#watchers = watchers
  }

  turnStarted (agent: string): void {
    this.#telemetry?.agentTurnStarted(this.#callId, agent)
  }

  turnEnded (end: AgentTurnEnd): void {
    this.#telemetry?.agentTurnEnded(this.#callId, end)
  }

  modelStarted (): () => void {
    return this.#telemetry?.modelStarted(this.#callId) ?? untimed
  }

  toolStarted (name: string, args: unknown, round: number): (outcome: ToolOutcome, result: string) => void {
    const callId = this.#callId
    const at = Date.now()
    const started = performance.now()
    const timed = this.#telemetry?.toolStarted(callId, name, round)
    return (outcome, result) => {
      timed?.(outcome)
      if (this.#watchers.size === 0) return
      const news: ToolCallNews = { at, name, args, round, outcome, result, ms: performance.now() - started }
      for (const watcher of this.#watchers) watcher(callId, news)
    }
  }
}
