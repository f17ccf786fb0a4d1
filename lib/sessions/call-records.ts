import { StoreUnavailableError } from '../errors'
import type { Call } from './call'
import { claimLock, keepLease, releaseLock, type Claim } from './call-lock'
import type { SessionRecord, SessionStore } from './store'

/** While work runs, its call is looked at this often (ms) by some instance, which runs it again if its owner is gone. */
const WORK_CHECK = 3000

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
  readonly #now: () => number
  /** Shared by instances: such a store expires records itself and orders events with its lock. */
  readonly shared: boolean
  /** In this process only: a live actor is newer than any record, which is written only to park the call. */
  readonly inProcess: boolean

  constructor (store: SessionStore, { version, ttl, lockWait, now }: { version: string, ttl: number, lockWait: number, now: () => number }) {
    this.#now = now
    this.#store = store
    this.#version = version
    this.#ttl = ttl
    this.#lockWait = lockWait
    this.shared = store.lock !== undefined
    this.inProcess = !this.shared && store.inProcess === true
  }

  /** Lines up for the call's lock at once, so that events keep their arrival order across instances. */
  claim (call: Call): Claim | undefined {
    return claimLock(this.#store, call, this.#lockWait)
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

  /** Keeps the call's lock while its turn runs, however long; returns what stops that. */
  keepLock (call: Call): () => void {
    return keepLease(this.#store, call)
  }

  /** Lets go of the lock without saving. */
  release (call: Call): Promise<void> | undefined {
    return call.token === undefined ? undefined : releaseLock(this.#store, call)
  }

  /**
   * Keeps the call's state: an in-process store has nothing to write while
   * the actor lives. The next revision is the call's only once the write
   * has succeeded; when it fails, the live copy goes, since it holds an
   * event that was not kept: the call's next event starts from its record.
   */
  save (call: Call): Promise<void> | undefined {
    if (this.inProcess) {
      call.revision++
      return undefined
    }
    const revision = call.revision + 1
    const record = call.toRecord(this.#version, revision)
    const writing = call.token !== undefined
      ? releaseLock(this.#store, call, { set: record, ttl: this.#ttl, due: this.#due(record) })
      : this.#set(call.id, record)
    return writing.then(() => { call.revision = revision }, (err: unknown) => {
      call.stop()
      throw err
    })
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
      else if (call.parked === undefined) await this.#store.delete(call.id)
    })
  }

  /** A parked call is live again: an in-process store lets go of the record its actor now holds. */
  restored (call: Call): Promise<void> | undefined {
    return this.inProcess ? this.#store.delete(call.id) : undefined
  }

  async delete (call: Call): Promise<void> {
    call.parked = undefined
    if (call.token !== undefined) return await releaseLock(this.#store, call, { delete: true })
    await this.#store.delete(call.id).catch((err) => { throw new StoreUnavailableError(String(err), { cause: err }) })
  }

  /**
   * When the call is next due for a turn without an event: its first delay,
   * or (while work runs) when its owner could be found gone, so that the
   * work runs again elsewhere even when no event comes.
   */
  #due (record: SessionRecord): number | undefined {
    const timer = record.timers?.[0]?.dueAt
    if (record.work === undefined || record.work.length === 0) return timer
    return Math.min(timer ?? Infinity, this.#now() + WORK_CHECK)
  }

  async #locked (call: Call, claim: Claim): Promise<SessionRecord | undefined> {
    const { record, token } = await claim
    call.token = token
    return record
  }

  async #get (id: string): Promise<SessionRecord | undefined> {
    try {
      return await this.#store.get(id)
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }

  async #set (id: string, record: SessionRecord): Promise<void> {
    try {
      await this.#store.set(id, record, this.#ttl)
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }
}
