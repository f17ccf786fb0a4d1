import type { Call } from './call'
import { StoreUnavailableError } from '../errors'
import { claimLock, keepLease, releaseLock, renewLease, RENEWED_LEASE, type Claim } from './call-lock'
import type { CallRecords, RecordsOptions } from './call-records'
import { lostAnswerWritten } from './lost-answer'
import { commit } from './record-io'
import type { SessionRecord, SessionStore } from '../stores/store'

/** While work runs, its call is looked at this often (ms) by some instance, which runs it again if its owner is gone. */
const WORK_CHECK = 3000

/**
 * Records in a store that several instances share (`RedisStore`): every
 * event takes its call's lock with its record in one round trip, and saves
 * and frees them in another, so that any instance serves any event of any
 * call, in order. With the record goes when the call is next due for a
 * turn without an event, so that some instance fires its delays.
 */
export class SharedRecords implements CallRecords {
  readonly shared = true
  readonly #store: SessionStore
  readonly #options: RecordsOptions

  constructor (store: SessionStore, options: RecordsOptions) {
    this.#store = store
    this.#options = options
  }

  claim (call: Call): Claim | undefined {
    return claimLock(this.#store, call, this.#options.lockWait)
  }

  async load (call: Call, claim: Claim | undefined): Promise<SessionRecord | undefined> {
    const { record, token, grantedAt } = await (claim as Claim)
    call.locked(token)
    // Granted while the call's earlier turn still ran here (it gave up waiting for its own lock, for up to the reply
    // deadline), the lock has spent part of its lease waiting for this turn: renewed at once, not a third of a lease on.
    if (Date.now() - (grantedAt as number) >= RENEWED_LEASE / 3) renewLease(this.#store, call)
    return record
  }

  /** Another instance may have served the call since: only the store knows. */
  async read (id: string): Promise<SessionRecord | undefined> {
    return await this.#store.get(id)
  }

  /** Another instance may have moved the call on, or ended it: the store's record is the call. */
  current (call: Call, record: SessionRecord | undefined): boolean {
    return record !== undefined && call.isCopyOf(record)
  }

  keepLock (call: Call): () => void {
    return keepLease(this.#store, call)
  }

  release (call: Call): Promise<void> | undefined {
    return call.token === undefined ? undefined : releaseLock(this.#store, call)
  }

  save (call: Call): Promise<void> {
    return commit(call, this.#options.version, async (record) => {
      await this.#options.owning(record)
      const token = call.token as string
      try {
        await releaseLock(this.#store, call, { set: record, ttl: this.#options.ttl, due: this.#due(record) })
      } catch (err) {
        // No promise more on a save that succeeds: the check runs only after one that failed.
        await this.#lost(call, token, err)
      }
    })
  }

  /**
   * A save that failed may have been done all the same, its answer lost:
   * the store is asked, within the reply deadline, so that an event whose
   * state was kept is answered with its reply rather than 503.
   */
  async #lost (call: Call, token: string, err: unknown): Promise<void> {
    if (!(err instanceof StoreUnavailableError)) throw err
    const { now, lockWait, log } = this.#options
    const done = await lostAnswerWritten(this.#store, call.id, token, { until: now() + lockWait, now, log })
    if (done === false) throw err
    if (done === undefined) throw new StoreUnavailableError(`${String(err.cause)}; whether the save was done is not known`, { cause: err.cause })
    log.info({ sessionId: call.id }, 'the answer to a save was lost, and the save was found done: its event is answered')
  }

  /** The store has the record from the call's last event, and its due time. */
  park (): undefined {
    return undefined
  }

  restored (): undefined {
    return undefined
  }

  /** Only under the call's lock: another instance may be serving the call. */
  async delete (call: Call): Promise<void> {
    if (call.token !== undefined) await releaseLock(this.#store, call, { delete: true })
  }

  /**
   * When the call is next due for a turn without an event: its first delay,
   * or (while work runs) when its owner could be found gone, so that the
   * work runs again elsewhere even when no event comes.
   */
  #due (record: SessionRecord): number | undefined {
    const timer = record.timers?.[0]?.dueAt
    if (record.work === undefined || record.work.length === 0) return timer
    return Math.min(timer ?? Infinity, this.#options.now() + WORK_CHECK)
  }
}
