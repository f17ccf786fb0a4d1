import type { Call } from './call'
import type { CallRecords, RecordsOptions } from './call-records'
import { storeCall } from './record-io'
import type { SessionRecord, SessionStore } from '../stores/store'

/**
 * Records in this process's memory (`MemoryStore`). A live actor holds all
 * its record would, and a crash loses both: so a record is written only
 * when its call is parked, and read (then deleted) only to bring it back.
 */
export class InProcessRecords implements CallRecords {
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

  load (call: Call): Promise<SessionRecord | undefined> | SessionRecord | undefined {
    if (call.actor !== undefined || call.failed) return undefined
    // A parked call's record is kept on it until the store has it.
    return call.parked ?? storeCall(() => this.#store.get(call.id))
  }

  async read (id: string, call: Call | undefined): Promise<SessionRecord | undefined> {
    if (call !== undefined && (call.actor !== undefined || call.failed)) return call.toRecord(this.#options.version)
    return call?.parked ?? await this.#store.get(id)
  }

  current (): boolean {
    return true
  }

  keepLock (): () => void {
    return noop
  }

  release (): undefined {
    return undefined
  }

  save (call: Call): undefined {
    call.savedAs(call.revision + 1)
    return undefined
  }

  /** The call keeps its record until the store has it, and for good should the write fail. */
  park (call: Call): Promise<void> {
    const record = call.toRecord(this.#options.version)
    call.keepRecord(record)
    return storeCall(() => this.#store.set(call.id, record, this.#options.ttl)).then(async () => {
      // Taken back (restored or ended) before the store had it: what was just written is stale.
      if (!call.recordStored(record)) await this.#store.delete(call.id)
    })
  }

  /** A call is its live actor or its record, never both. */
  restored (call: Call): Promise<void> {
    return this.#store.delete(call.id)
  }

  async delete (call: Call): Promise<void> {
    call.dropRecord()
    await storeCall(() => this.#store.delete(call.id))
  }
}

const noop = (): void => {}
