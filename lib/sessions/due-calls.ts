import type { Clock } from './xstate-adapter'

/**
 * The parked calls of an in-process store that have delays pending, by the
 * time the first one is due: one timer on the flows' clock for all of them.
 * When it fires, each due call is woken, and its turn brings it back from
 * its record and fires what is due.
 */
export class LocalDueCalls {
  readonly #due = new Map<string, number>()
  readonly #clock: Clock
  readonly #now: () => number
  readonly #wake: (id: string) => void
  #timer: unknown
  #armedFor = Infinity

  constructor (clock: Clock, now: () => number, wake: (id: string) => void) {
    this.#clock = clock
    this.#now = now
    this.#wake = wake
  }

  /** The call's first delay is due at `dueAt`; undefined: it has none, or it is live again. */
  set (id: string, dueAt: number | undefined): void {
    if (dueAt === undefined) {
      if (!this.#due.delete(id)) return
    } else {
      this.#due.set(id, dueAt)
    }
    this.#arm()
  }

  clear (): void {
    this.#due.clear()
    this.#arm()
  }

  #arm (): void {
    let earliest = Infinity
    for (const dueAt of this.#due.values()) earliest = Math.min(earliest, dueAt)
    if (earliest === this.#armedFor) return
    if (this.#armedFor !== Infinity) this.#clock.clearTimeout(this.#timer)
    this.#armedFor = earliest
    if (earliest !== Infinity) this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, earliest - this.#now()))
  }

  #fire (): void {
    this.#armedFor = Infinity
    const now = this.#now()
    for (const [id, dueAt] of this.#due) {
      if (dueAt > now) continue
      this.#due.delete(id)
      this.#wake(id)
    }
    this.#arm()
  }
}
