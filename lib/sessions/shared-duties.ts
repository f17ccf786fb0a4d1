import { storeCall } from './record-io'
import type { SessionRecord, SessionStore, WorkRecord } from '../stores/store'

/** How often each instance asks a shared store for calls with a delay due, in ms (plus up to half again, at random). */
const DUE_POLL = 200
/** A delay is left this long to the instance that armed it before any instance fires it from the store, in ms. */
const DUE_GRACE = 200
/** How often each instance tells a shared store that it lives, in ms; it counts as gone after three times that. */
const ANNOUNCE = 1000
/** An announcement is taken to hold this long after it was sent, in ms: a third of its life is left for what follows. */
const ANNOUNCED = ANNOUNCE * 2

const noop = (): void => {}

/**
 * What an instance does for a shared store in the background: it wakes the
 * calls whose first delay the store holds due (whichever instance armed
 * it), and tells the store that it lives, so that others know whose work
 * is still running. Each only when the store can.
 */
export class SharedStoreDuties {
  readonly #store: SessionStore
  readonly #instance: string
  readonly #now: () => number
  readonly #wake: (id: string) => void
  readonly #poller: NodeJS.Timeout | undefined
  readonly #announcer: NodeJS.Timeout | undefined
  /** Tells the store that this instance lives; undefined when the store cannot be told. */
  readonly #say: (() => Promise<void>) | undefined
  /** When the latest announcement the store took was sent; -Infinity before the first. */
  #announcedAt = -Infinity

  constructor (store: SessionStore, instance: string, now: () => number, wake: (id: string) => void) {
    this.#store = store
    this.#instance = instance
    this.#now = now
    this.#wake = wake
    if (store.dueCalls !== undefined) {
      // Jittered, so that instances started together do not all ask at once.
      this.#poller = setInterval(() => { this.pollDue().catch(noop) }, DUE_POLL + Math.floor(Math.random() * DUE_POLL / 2)).unref()
    }
    const { announce } = store
    if (announce !== undefined) {
      // A store that throws at once must not take the process down: it fails like one that rejects.
      this.#say = async () => {
        const at = this.#now()
        await storeCall(() => announce.call(store, instance, ANNOUNCE * 3))
        this.#announcedAt = Math.max(this.#announcedAt, at)
      }
      const say = (): void => { (this.#say as () => Promise<void>)().catch(noop) }
      say()
      this.#announcer = setInterval(say, ANNOUNCE).unref()
    }
  }

  /**
   * Before `record` is written: when it lists work this instance runs, the
   * store must know that this instance lives, or another instance would take
   * the work's owner for gone and run it again. Unless an announcement was
   * taken lately, one is made, and the write waits for it (it fails with it).
   */
  owning (record: SessionRecord): Promise<void> | undefined {
    if (this.#say === undefined || this.#now() - this.#announcedAt < ANNOUNCED) return undefined
    // A record this instance wrote lists its work, if only as none.
    return (record.work as WorkRecord[]).some((work) => work.owner === this.#instance) ? this.#say() : undefined
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
