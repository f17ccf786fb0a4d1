import { storeCall } from './record-io'
import type { SessionStore } from '../stores/store'

/** How often each instance asks a shared store for calls with a delay due, in ms (plus up to half again, at random). */
const DUE_POLL = 200
/** A delay is left this long to the instance that armed it before any instance fires it from the store, in ms. */
const DUE_GRACE = 200
/** How often each instance tells a shared store that it lives, in ms; it counts as gone after three times that. */
const ANNOUNCE = 1000

const noop = (): void => {}

/**
 * What an instance does for a shared store in the background: it wakes the
 * calls whose first delay the store holds due (whichever instance armed
 * it), and tells the store that it lives, so that others know whose work
 * is still running. Each only when the store can.
 */
export class SharedStoreDuties {
  readonly #store: SessionStore
  readonly #now: () => number
  readonly #wake: (id: string) => void
  readonly #poller: NodeJS.Timeout | undefined
  readonly #announcer: NodeJS.Timeout | undefined

  constructor (store: SessionStore, instance: string, now: () => number, wake: (id: string) => void) {
    this.#store = store
    this.#now = now
    this.#wake = wake
    if (store.dueCalls !== undefined) {
      // Jittered, so that instances started together do not all ask at once.
      this.#poller = setInterval(() => { this.pollDue().catch(noop) }, DUE_POLL + Math.floor(Math.random() * DUE_POLL / 2)).unref()
    }
    const { announce } = store
    if (announce !== undefined) {
      // A store that throws at once must not take the process down: it fails like one that rejects.
      const say = (): void => { storeCall(() => announce.call(store, instance, ANNOUNCE * 3)).catch(noop) }
      say()
      this.#announcer = setInterval(say, ANNOUNCE).unref()
    }
  }

  /** Wakes every call whose first delay the store holds due, and resolves once they are woken. */
  async pollDue (): Promise<void> {
    const ids = await (this.#store.dueCalls as NonNullable<SessionStore['dueCalls']>)(this.#now() - DUE_GRACE, 100)
    for (const id of ids) this.#wake(id)
  }

  stop (): void {
    clearInterval(this.#poller)
    clearInterval(this.#announcer)
  }
}
