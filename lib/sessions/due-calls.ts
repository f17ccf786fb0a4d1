import type { Clock } from './xstate-adapter'
import { MAX_TIMEOUT } from './real-clock'

interface Entry {
  id: string
  dueAt: number
}

/**
 * The parked calls of an in-process store that have delays pending, by the
 * time the first one is due: one timer on the flows' clock for all of them.
 * When it fires, each due call is woken, and its turn brings it back from
 * its record and fires what is due.
 *
 * The due times are kept in a binary heap, so that parking a call costs
 * log n, not a look at every parked call. An entry replaced or taken back
 * stays in the heap until it reaches the top, where it is told apart from
 * the call's current due time and dropped.
 */
export class LocalDueCalls {
  readonly #due = new Map<string, number>()
  readonly #heap: Entry[] = []
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
      this.#push({ id, dueAt })
    }
    // Entries left behind are dropped now and then, so that the heap stays about as large as the calls due.
    if (this.#heap.length > 2 * this.#due.size + 64) this.#rebuild()
    this.#arm()
  }

  /** Calls with a due time here. */
  get size (): number {
    return this.#due.size
  }

  clear (): void {
    this.#due.clear()
    this.#heap.length = 0
    this.#arm()
  }

  /** The earliest entry that is still a call's due time, stale ones dropped on the way. */
  #top (): Entry | undefined {
    for (let top = this.#heap[0]; top !== undefined; top = this.#heap[0]) {
      if (this.#due.get(top.id) === top.dueAt) return top
      this.#pop()
    }
    return undefined
  }

  #arm (): void {
    const earliest = this.#top()?.dueAt ?? Infinity
    if (earliest === this.#armedFor) return
    if (this.#armedFor !== Infinity) this.#clock.clearTimeout(this.#timer)
    this.#armedFor = earliest
    if (earliest === Infinity) return
    // A wait past what a timer takes is cut short; the timer then finds nothing due and arms again.
    const wait = Math.min(MAX_TIMEOUT, Math.max(0, earliest - this.#now()))
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait)
  }

  #fire (): void {
    this.#armedFor = Infinity
    const now = this.#now()
    for (let top = this.#top(); top !== undefined && top.dueAt <= now; top = this.#top()) {
      this.#pop()
      this.#due.delete(top.id)
      this.#wake(top.id)
    }
    this.#arm()
  }

  #rebuild (): void {
    this.#heap.length = 0
    for (const [id, dueAt] of this.#due) this.#push({ id, dueAt })
  }

  #push (entry: Entry): void {
    const heap = this.#heap
    let at = heap.push(entry) - 1
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (heap[parent].dueAt <= entry.dueAt) break
      heap[at] = heap[parent]
      at = parent
    }
    heap[at] = entry
  }

  #pop (): void {
    const heap = this.#heap
    const last = heap.pop() as Entry
    if (heap.length === 0) return
    let at = 0
    for (;;) {
      let child = 2 * at + 1
      if (child >= heap.length) break
      if (child + 1 < heap.length && heap[child + 1].dueAt < heap[child].dueAt) child++
      if (heap[child].dueAt >= last.dueAt) break
      heap[at] = heap[child]
      at = child
    }
    heap[at] = last
  }
}
