import type { Context, Span } from '@opentelemetry/api'
import type { AgentTurnEnd } from '../agent/turn-observer'
import type { OtelApi } from './otel-api'

/** What the summary line says of a call's agent turns. */
export interface AgentSummary {
  /** Caller turns that went to an agent state's model. */
  turns: number
  /** Function tools that ran for the call here. */
  toolCalls: number
  /** Those that failed, timed out or were aborted. */
  toolFailures: number
  /** Rounds of tool calls, over all turns. */
  toolRounds: number
  /** Time the model took, over all turns, in ms. */
  modelMs: number
  /** From a caller's turn to the first sentence of its answer leaving, in ms: over the turns that said one. */
  firstSentenceMs?: { mean: number, max: number }
}

/**
 * One caller turn in an agent state, from the caller's words reaching the
 * state until the model answered, took a transition, failed or was cut off.
 * Made only when an agent turn runs.
 */
export class AgentTurn {
  /** The agent state's id. */
  readonly agent: string
  readonly startedAt: number
  /** Undefined without tracing. */
  readonly span: Span | undefined
  modelMs = 0
  toolCalls = 0
  rounds = 0
  /** From the start to the first sentence leaving; undefined until then. */
  firstSentenceMs: number | undefined
  /** A first sentence was said, and leaves with the webhook's next reply. */
  awaitingReply = false
  end: AgentTurnEnd | undefined
  #context: Context | undefined

  constructor (agent: string, startedAt: number, span: Span | undefined) {
    this.agent = agent
    this.startedAt = startedAt
    this.span = span
  }

  /** The context its tools' spans start in; asked only while tracing, when the span exists. */
  context (api: OtelApi): Context {
    this.#context ??= api.trace.setSpan(api.ROOT_CONTEXT, this.span as Span)
    return this.#context
  }

  /** Its first sentence left now. */
  heard (now: number): void {
    this.firstSentenceMs = now - this.startedAt
    this.awaitingReply = false
  }
}

/** A call's agent turns, counted for its summary line: made at its first. */
export class AgentCallStats {
  turns = 0
  toolCalls = 0
  toolFailures = 0
  toolRounds = 0
  modelMs = 0
  /** The turn going on. */
  turn: AgentTurn | undefined
  /** The turn that ended in the flow's step being taken: what that step says is still its. */
  closing: AgentTurn | undefined
  /** Turns that ended with their first sentence still to leave with a webhook reply. */
  readonly waiting: AgentTurn[] = []
  #spoken = 0
  #firstSentenceSum = 0
  #firstSentenceMax = 0

  /** A turn is over: it counts. */
  add (turn: AgentTurn): void {
    this.turns++
    this.toolRounds += turn.rounds
    if (turn.firstSentenceMs === undefined) return
    this.#spoken++
    this.#firstSentenceSum += turn.firstSentenceMs
    this.#firstSentenceMax = Math.max(this.#firstSentenceMax, turn.firstSentenceMs)
  }

  summary (): AgentSummary {
    const { turns, toolCalls, toolFailures, toolRounds } = this
    const summary: AgentSummary = { turns, toolCalls, toolFailures, toolRounds, modelMs: Math.round(this.modelMs) }
    if (this.#spoken > 0) summary.firstSentenceMs = { mean: Math.round(this.#firstSentenceSum / this.#spoken), max: Math.round(this.#firstSentenceMax) }
    return summary
  }
}
