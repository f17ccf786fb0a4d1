import type { Call } from './call'

/**
 * Keeps at most `limit` calls with a live actor between events, the most
 * recently active ones. An idle call beyond the limit is parked: its actor
 * is stopped, and the record already in the store brings it back on the
 * call's next event. A call that cannot be parked now (busy, waiting for
 * work or a timer) moves to the back of the line.
 */
export class LiveActors {
  readonly #limit: number
  readonly #park: (call: Call) => boolean
  /** Least recently active first. */
  readonly #calls = new Set<Call>()

  constructor (limit: number, park: (call: Call) => boolean) {
    this.#limit = limit
    this.#park = park
  }

  /** The call has just been answered (and saved): it is the most recent. */
  touch (call: Call): void {
    if (this.#limit === Infinity) return
    this.#calls.delete(call)
    if (call.actor !== undefined) this.#calls.add(call)
    // A few looks per event keep the cost bounded when many calls cannot be parked.
    for (let looks = 4; looks > 0 && this.#calls.size > this.#limit; looks--) {
      const idle = this.#calls.values().next().value as Call
      this.#calls.delete(idle)
      if (idle.actor !== undefined && !this.#park(idle)) this.#calls.add(idle)
    }
  }

  /** Calls counted towards the limit. */
  get size (): number {
    return this.#calls.size
  }

  forget (call: Call): void {
    this.#calls.delete(call)
  }

  clear (): void {
    this.#calls.clear()
  }
}
