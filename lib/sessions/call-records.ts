import { StoreUnavailableError } from '../errors'
import type { Call } from './call'
import { claimLock, releaseLock, type Claim } from './call-lock'
import type { SessionRecord, SessionStore } from './store'
import type { CallTelemetry } from '../telemetry'

/**
 * A call's stored record, read and written through the store, under the
 * call's lock when the store offers one (a store shared by instances).
 * Every store failure becomes `FST_AIFLOW_STORE_UNAVAILABLE`.
 *
 * Each method answers without a promise when it has nothing to wait for, as
 * for every event of a live call in an in-process store: that is most
 * events' path, and each promise costs a turn of the microtask queue.
 */
export class CallRecords {
  readonly #store: SessionStore
  readonly #version: string
  readonly #ttl: number
  readonly #lockWait: number
  readonly #telemetry: CallTelemetry | undefined
  /** Shared by instances: such a store expires records itself and orders events with its lock. */
  readonly shared: boolean
  /** In this process only: a live actor is newer than any record, which is written only to park the call. */
  readonly inProcess: boolean

  constructor (store: SessionStore, { version, ttl, lockWait, telemetry }: { version: string, ttl: number, lockWait: number, telemetry?: CallTelemetry }) {
    this.#store = store
    this.#telemetry = telemetry
    this.#version = version
    this.#ttl = ttl
    this.#lockWait = lockWait
    this.shared = store.lock !== undefined
    this.inProcess = !this.shared && store.inProcess === true
  }

  /** Lines up for the call's lock at once, so that events keep their arrival order across instances. */
  claim (call: Call): Claim | undefined {
    const claim = claimLock(this.#store, call, this.#lockWait)
    return claim === undefined || this.#telemetry === undefined ? claim : this.#telemetry.lockClaimed(call.id, claim) // telemetry
  }

  /**
   * The record, once the claim (if any) holds the lock; the call keeps the
   * lock's token. Undefined at once when the call's live actor (or its
   * failure) is all there is to know.
   */
  load (call: Call, claim: Claim | undefined): Promise<SessionRecord | undefined> | SessionRecord | undefined {
    if (claim !== undefined) return this.#locked(call, claim)
    if (!this.inProcess) return this.#get(call.id)
    if (call.actor !== undefined || call.failed) return undefined
    // A parked call's record is kept on it until the store has it.
    return call.parked ?? this.#get(call.id)
  }

  /**
   * What is known of a call now, untouched: its live copy here, unless a
   * shared store's record is newer (another instance may have served the
   * call since); else its record, which a parked call (no actor, not
   * failed) may still hold itself.
   */
  async read (id: string, call: Call | undefined): Promise<SessionRecord | undefined> {
    if (call !== undefined && !this.shared && (call.actor !== undefined || call.failed)) return call.toRecord(this.#version)
    return call?.parked ?? await this.#store.get(id)
  }

  /** The record a late save may build on: the one this copy of the call last saved or read. */
  current (call: Call, record: SessionRecord | undefined): boolean {
    return this.inProcess || record?.revision === call.revision
  }

  /** Lets go of the lock without saving. */
  release (call: Call): Promise<void> | undefined {
    return call.token === undefined ? undefined : this.#timed(call.id, 'unlock', releaseLock(this.#store, call))
  }

  /** Keeps the call's state: an in-process store has nothing to write while the actor lives. */
  save (call: Call): Promise<void> | undefined {
    call.revision++
    if (this.inProcess) return undefined
    const record = call.toRecord(this.#version)
    if (call.token !== undefined) return this.#timed(call.id, 'unlock', releaseLock(this.#store, call, { set: record, ttl: this.#ttl }))
    return this.#set(call.id, record)
  }

  /**
   * Before the call's actor is stopped: an in-process store gets the record
   * now (other stores have it from the call's last event). The call keeps
   * it too until the store has it, and for good should the write fail.
   */
  park (call: Call): Promise<void> | undefined {
    if (!this.inProcess) return undefined
    const record = call.toRecord(this.#version)
    call.parked = record
    return this.#set(call.id, record).then(async () => {
      if (call.parked === record) call.parked = undefined
      // Taken back (restored or ended) before the store had it: what was just written is stale.
      else if (call.parked === undefined) await this.#timed(call.id, 'delete', this.#store.delete(call.id))
    })
  }

  /** A parked call is live again: an in-process store lets go of the record its actor now holds. */
  restored (call: Call): Promise<void> | undefined {
    return this.inProcess ? this.#timed(call.id, 'delete', this.#store.delete(call.id)) : undefined
  }

  async delete (call: Call): Promise<void> {
    call.parked = undefined
    if (call.token !== undefined) return await this.#timed(call.id, 'unlock', releaseLock(this.#store, call, { delete: true }))
    await this.#timed(call.id, 'delete', this.#store.delete(call.id)).catch((err) => { throw new StoreUnavailableError(String(err), { cause: err }) })
  }

  /** Telemetry: a span and a duration for the store operation, while telemetry is on. */
  #timed<T> (id: string, operation: string, work: Promise<T>): Promise<T> {
    return this.#telemetry === undefined ? work : this.#telemetry.storeOperation(id, operation, work)
  }

  async #locked (call: Call, claim: Claim): Promise<SessionRecord | undefined> {
    const { record, token } = await claim
    call.token = token
    return record
  }

  async #get (id: string): Promise<SessionRecord | undefined> {
    try {
      return await this.#timed(id, 'get', this.#store.get(id))
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }

  async #set (id: string, record: SessionRecord): Promise<void> {
    try {
      await this.#timed(id, 'set', this.#store.set(id, record, this.#ttl))
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }
}
