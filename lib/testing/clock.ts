import type { Clock } from '../sessions'

interface Timer {
  due: number
  fn: () => void
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * A clock for the flow's delays that only moves when told to. Unlike
 * XState's `SimulatedClock`, moving it fires timers one at a time in the
 * order they are due, with the time set to each one's due time, so a delay
 * that a delay started also fires within the same move; and between two
 * timers, promise reactions run as they would in real time.
 *
 * @example
 * const clock = new TestClock()
 * await clock.advance(5000) // every delay due within 5 s has fired
 */
export class TestClock implements Clock {
  #now = 0
  #next = 0
  readonly #timers = new Map<number, Timer>()

  /** Milliseconds since the clock was made. */
  now (): number {
    return this.#now
  }

  setTimeout (fn: (...args: unknown[]) => void, timeout: number): number {
    const id = ++this.#next
    this.#timers.set(id, { due: this.#now + Math.max(0, timeout), fn })
    return id
  }

  clearTimeout (id: unknown): void {
    this.#timers.delete(id as number)
  }

  /** Timers set and not yet fired. */
  get pending (): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance (ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance the clock by ${ms} ms`)
    const end = this.#now + ms
    await macrotask()
    for (let entry = this.#due(end); entry !== undefined; entry = this.#due(end)) {
      const [id, timer] = entry
      this.#timers.delete(id)
      this.#now = timer.due
      timer.fn()
      await macrotask()
    }
    this.#now = end
  }

  /** The first timer due by `end`; of two due at once, the one set first. */
  #due (end: number): [number, Timer] | undefined {
    let first: [number, Timer] | undefined
    for (const entry of this.#timers) {
      if (entry[1].due <= end && (first === undefined || entry[1].due < first[1].due)) first = entry
    }
    return first
  }
}

/** Resolves once `ms` have passed on `clock`; rejects with the signal's reason if it aborts first. */
export async function pauseOn (clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(signal.reason)
    }
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
