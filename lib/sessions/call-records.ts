import type { Call } from './call'
import type { Claim } from './call-lock'
import { InProcessRecords } from './in-process-records'
import { RemoteRecords } from './remote-records'
import { SharedRecords } from './shared-records'
import { timedStore } from './timed-store'
import type { Logger } from './logger'
import type { CallTelemetry } from '../telemetry'
import type { SessionRecord, SessionStore } from '../stores/store'

/**
 * A call's record as the turn of one of its events needs it: where it is
 * kept and how it is locked differ with the store, chosen once when the
 * registry is built (`callRecords`). Every store failure becomes
 * `FST_AIFLOW_STORE_UNAVAILABLE`.
 *
 * Methods answer without a promise when they have nothing to wait for, as
 * for every event of a live call in an in-process store: that is most
 * events' path, and each promise costs a turn of the microtask queue.
 */
export interface CallRecords {
  /** Shared by instances: the store orders events with its lock, expires records and knows due calls. */
  readonly shared: boolean
  /** Lines up for the call's lock at once, so that events keep their arrival order across instances. */
  claim (call: Call): Claim | undefined
  /** The record, once the claim (if any) holds the lock. Undefined at once when the live call is all there is to know. */
  load (call: Call, claim: Claim | undefined): Promise<SessionRecord | undefined> | SessionRecord | undefined
  /** What is known of a call now, untouched. */
  read (id: string, call: Call | undefined): Promise<SessionRecord | undefined>
  /**
   * Whether the call's live copy here may go on, given its record: a copy
   * another instance has moved on from may not, nor (with a shared store)
   * one whose record is gone: the call ended, or expired, elsewhere.
   */
  current (call: Call, record: SessionRecord | undefined): boolean
  /** Keeps the call's lock while its turn runs, however long; returns what stops that. */
  keepLock (call: Call): () => void
  /** Lets go of the lock without saving. */
  release (call: Call): Promise<void> | undefined
  /**
   * Keeps the call's state. The next revision is the call's only once the
   * write has succeeded; when it fails, the live copy goes, since it holds
   * an event that was not kept: the call's next event starts from its record.
   */
  save (call: Call): Promise<void> | undefined
  /** Before the call's actor is stopped: a store that does not have its record yet gets it. */
  park (call: Call): Promise<void> | undefined
  /** A parked call is live again. */
  restored (call: Call): Promise<void> | undefined
  delete (call: Call): Promise<void>
}

export interface RecordsOptions {
  version: string
  ttl: number
  lockWait: number
  now: () => number
  log: Logger
  /** Times every store operation, while telemetry is on. */
  telemetry?: CallTelemetry
  /** With a shared store, before a record is written: what it waits for, so that others know the owner of the work it lists lives. */
  owning: (record: SessionRecord) => Promise<void> | undefined
}

/** The records of calls in `store`, handled as its kind asks: in this process, elsewhere, or shared by instances. */
export function callRecords (store: SessionStore, options: RecordsOptions): CallRecords {
  const telemetry = options.telemetry
  const used = telemetry?.enabled === true ? timedStore(store, telemetry) : store
  if (store.inProcess === true) return new InProcessRecords(used, options)
  return store.lock === undefined ? new RemoteRecords(used, options) : new SharedRecords(used, options)
}
