import type { SessionRecord, SessionStore } from './store'

interface Entry {
  record: SessionRecord
  expiresAt: number
}

/**
 * The default store: records in a `Map`, expired lazily on read and by a
 * sweep every `sweepInterval` ms. The registry knows it for a store in this
 * process: a live actor holds all its record would, so a call's record is
 * written only when the call is parked.
 */
export class MemoryStore implements SessionStore {
  readonly inProcess = true
  readonly #entries = new Map<string, Entry>()
  readonly #timer: NodeJS.Timeout

  constructor ({ sweepInterval = 30_000 }: { sweepInterval?: number } = {}) {
    this.#timer = setInterval(() => this.sweep(), sweepInterval).unref()
  }

  /** How many records are held, expired ones included until the next sweep. */
  get size (): number {
    return this.#entries.size
  }

  async get (id: string): Promise<SessionRecord | undefined> {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(id)
      return undefined
    }
    return entry.record
  }

  async set (id: string, record: SessionRecord, ttl: number): Promise<void> {
    this.#entries.set(id, { record, expiresAt: Date.now() + ttl })
  }

  async delete (id: string): Promise<void> {
    this.#entries.delete(id)
  }

  /** Drops every expired record. */
  sweep (now = Date.now()): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(id)
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    this.#entries.clear()
  }
}
