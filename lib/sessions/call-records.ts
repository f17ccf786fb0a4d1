import { StoreUnavailableError } from '../errors'
import type { Call } from './call'
import { claimLock, releaseLock, type Claim } from './call-lock'
import type { SessionRecord, SessionStore } from './store'

/**
 * A call's stored record, read and written through the store, under the
 * call's lock when the store offers one (a store shared by instances).
 * Every store failure becomes `FST_AIFLOW_STORE_UNAVAILABLE`.
 */
export class CallRecords {
  readonly #store: SessionStore
  readonly #version: string
  readonly #ttl: number
  readonly #lockWait: number

  constructor (store: SessionStore, { version, ttl, lockWait }: { version: string, ttl: number, lockWait: number }) {
    this.#store = store
    this.#version = version
    this.#ttl = ttl
    this.#lockWait = lockWait
  }

  /** Shared by instances: such a store expires records itself and orders events with its lock. */
  get shared (): boolean {
    return this.#store.lock !== undefined
  }

  /** Lines up for the call's lock at once, so that events keep their arrival order across instances. */
  claim (call: Call): Claim | undefined {
    return claimLock(this.#store, call, this.#lockWait)
  }

  /** The record, once the claim (if any) holds the lock; the call keeps the lock's token. */
  async load (call: Call, claim: Claim | undefined): Promise<SessionRecord | undefined> {
    const { record, token } = await (claim ?? this.#get(call.id).then((record) => ({ record, token: undefined })))
    call.token = token
    return record
  }

  /** Lets go of the lock without saving. */
  async release (call: Call): Promise<void> {
    if (call.token !== undefined) await releaseLock(this.#store, call)
  }

  async save (call: Call): Promise<void> {
    call.revision++
    const record = call.toRecord(this.#version)
    if (call.token !== undefined) return await releaseLock(this.#store, call, { set: record, ttl: this.#ttl })
    try {
      await this.#store.set(call.id, record, this.#ttl)
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }

  async delete (call: Call): Promise<void> {
    if (call.token !== undefined) return await releaseLock(this.#store, call, { delete: true })
    await this.#store.delete(call.id).catch((err) => { throw new StoreUnavailableError(String(err), { cause: err }) })
  }

  async #get (id: string): Promise<SessionRecord | undefined> {
    try {
      return await this.#store.get(id)
    } catch (err) {
      throw new StoreUnavailableError(String(err), { cause: err })
    }
  }
}
