import type { Call } from './call'
import type { CallRecords, RecordsOptions } from './call-records'
import { commit, storeCall } from './record-io'
import type { SessionRecord, SessionStore } from '../stores/store'

/**
 * Records in a store outside the process that does not lock: every event
 * loads its call's record and saves it before its reply leaves, so that a
 * restart loses no answered event. One instance serves each call.
 */
export class RemoteRecords implements CallRecords {
  readonly shared = false
  readonly #store: SessionStore
  readonly #options: RecordsOptions

  constructor (store: SessionStore, options: RecordsOptions) {
    this.#store = store
    this.#options = options
  }

  claim (): undefined {
    return undefined
  }

  load (call: Call): Promise<SessionRecord | undefined> {
    return storeCall(() => this.#store.get(call.id))
  }

  async read (id: string, call: Call | undefined): Promise<SessionRecord | undefined> {
    if (call !== undefined && (call.actor !== undefined || call.failed)) return call.toRecord(this.#options.version)
    return await this.#store.get(id)
  }

  /** One instance serves the call: a record gone from the store (evicted, expired) leaves the live copy the only one. */
  current (call: Call, record: SessionRecord | undefined): boolean {
    return record === undefined || call.isCopyOf(record)
  }

  keepLock (): () => void {
    return noop
  }

  release (): undefined {
    return undefined
  }

  save (call: Call): Promise<void> {
    return commit(call, this.#options.version, (record) => storeCall(() => this.#store.set(call.id, record, this.#options.ttl)))
  }

  /** The store has the record from the call's last event. */
  park (): undefined {
    return undefined
  }

  restored (): undefined {
    return undefined
  }

  async delete (call: Call): Promise<void> {
    await storeCall(() => this.#store.delete(call.id))
  }
}

const noop = (): void => {}
