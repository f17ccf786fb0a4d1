import type { AiFlowAction, Session } from '../protocol'

/**
 * One event of a call and what came of it: what a recording keeps. The
 * registry tells its `observe` option of every one, in the call's order.
 */
export interface CallTurn {
  /** Unix time in ms at which the event arrived. */
  at: number
  /** The event, as the transport handed it over. */
  event: { type: string, session: Session }
  /** The actions of the reply, in order; empty when the answer was 204. */
  reply: AiFlowAction[]
  /** The flow's state value after the event; undefined once the call has ended or failed. */
  state: unknown
  /** The event came over a push transport (WebSocket): what the flow emits later is pushed, not part of a reply. */
  pushed: boolean
}
