import type { EventTurn } from './event-turn'
import type { FlowMetrics } from './metrics'
import { statePath } from './state-path'
import type { AgentCallStats, AgentSummary } from './agent-turn'

/** How a call ended, as `aiflow.calls.ended` counts it. */
export type CallOutcome = 'hangup' | 'transfer' | 'caller_hung_up' | 'expired' | 'flow_error'

/** Why the registry let go of a call. */
export type CallEnd = 'session_end' | 'expired'

export type Transport = 'http' | 'websocket'

/** What the summary line of a call says: no phone number, only counts and states. */
export interface CallSummary {
  durationMs: number
  events: Record<string, number>
  bargeIns: number
  inputTimeouts: number
  finalState: string | undefined
  outcome: CallOutcome
  flowVersion: string
  transport: Transport
  /** The call's agent turns, when it had any. */
  agent?: AgentSummary
}

/**
 * What one call did, counted as its events come: what its summary line
 * reports when it ends. One per call, held from its first event to its end.
 */
export class CallStats {
  readonly id: string
  readonly startedAt: number
  /**
   * By the protocol's event type, or `other` (`kindOf`): no type a caller
   * sends can name a property of its prototype. A plain object, whose few keys
   * fit in the object itself; one without a prototype is a dictionary of some 180 B.
   */
  readonly events: Record<string, number> = {}
  bargeIns = 0
  inputTimeouts = 0
  flowVersion: string
  transport: Transport
  failed = false
  /** The type of the last action the flow emitted: a call whose flow hung up or transferred last ended that way. */
  lastAction: string | undefined
  /** The event being handled now, while telemetry is on: the parent of the spans of the work and store calls it leads to. */
  current: EventTurn | undefined
  /** The event that arrived last: the parent of its wait for the call's lock. */
  latest: EventTurn | undefined
  /** Its agent turns, from its first one. */
  agent: AgentCallStats | undefined
  /** The state value last made into a path, and its path. */
  #stateValue: unknown
  #statePath: string | undefined

  constructor (id: string, now: number, flowVersion: string, transport: Transport) {
    this.id = id
    this.startedAt = now
    this.flowVersion = flowVersion
    this.transport = transport
  }

  /** Counts one event of a kind (`other` for a type the protocol does not document); its transport is the call's from now on. */
  count (kind: string, barged: boolean, transport: Transport): void {
    this.events[kind] = (this.events[kind] ?? 0) + 1
    if (barged) this.bargeIns++
    else if (kind === 'user_input_timeout') this.inputTimeouts++
    this.transport = transport
  }

  /**
   * The flow's state value as a dotted path. The state after one event is
   * the state before the next, the same value object when nothing happened
   * in between: it is made into a path once.
   */
  statePath (value: unknown): string | undefined {
    if (value !== this.#stateValue) {
      this.#stateValue = value
      this.#statePath = statePath(value)
    }
    return this.#statePath
  }

  /** The call's flow failed (the registry tells of each call's failure once): its event's span records why. */
  fail (err: Error, metrics: FlowMetrics | undefined): void {
    this.failed = true
    metrics?.flowError(this.flowVersion)
    this.current?.failed(err)
  }

  outcome (end: CallEnd): CallOutcome {
    if (this.failed) return 'flow_error'
    if (end === 'expired') return 'expired'
    if (this.lastAction === 'hangup') return 'hangup'
    return this.lastAction === 'transfer' ? 'transfer' : 'caller_hung_up'
  }

  summary (end: CallEnd, finalState: string | undefined, now: number): CallSummary {
    const summary: CallSummary = {
      durationMs: now - this.startedAt,
      events: this.events,
      bargeIns: this.bargeIns,
      inputTimeouts: this.inputTimeouts,
      finalState,
      outcome: this.outcome(end),
      flowVersion: this.flowVersion,
      transport: this.transport
    }
    if (this.agent !== undefined) summary.agent = this.agent.summary()
    return summary
  }
}
