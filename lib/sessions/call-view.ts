import type { Session } from '../protocol'
import type { SessionRecord } from '../stores/store'

/** A read-only copy of one call's state. */
export interface CallView {
  readonly id: string
  readonly session: Readonly<Session>
  /** `active`, or `failed` once the flow has failed and the fallback was sent. */
  readonly status: 'active' | 'failed'
  /** The flow's state value, as XState reports it. */
  readonly state: unknown
  /** The flow's context, as persisted. */
  readonly context: unknown
  /** Actions waiting for the next reply. */
  readonly pendingActions: number
  /** Unix time in ms. */
  readonly startedAt: number
  /** Unix time in ms of the last event. */
  readonly lastEventAt: number
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

export function callView (record: SessionRecord, id: string): CallView {
  const snapshot = (record.snapshot ?? {}) as { value?: unknown, context?: unknown }
  return deepFreeze(structuredClone({
    id,
    session: record.session,
    status: record.failed ? 'failed' : 'active',
    state: snapshot.value,
    context: snapshot.context,
    pendingActions: record.pending.length,
    startedAt: record.startedAt,
    lastEventAt: record.updatedAt
  }))
}
