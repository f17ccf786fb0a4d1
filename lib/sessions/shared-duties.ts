import { storeCall } from './record-io'
import type { SessionRecord, SessionStore, WorkRecord } from '../stores/store'
import type { Present } from './living-owners'

/** How often each instance asks a shared store for calls with a delay due, in ms (plus up to half again, at random). */
const DUE_POLL = 200
/** A delay (or a lease) is left this long to the instance that armed it before any instance acts on it from the store, in ms. */
const DUE_GRACE = 200
/** How often each instance tells a shared store that it lives, and which calls it runs work for, in ms. */
const ANNOUNCE = 250
/**
 * An instance counts as gone this long after its last announcement, in ms,
 * and its work runs again elsewhere: a process killed without warning has
 * its work taken over within this, plus `DUE_GRACE` and a poll.
 */
export const LAPSE = ANNOUNCE * 4
/** A longer time between two announcements the store took means it could not be reached (or answered late) meanwhile, in ms. */
const GAP = ANNOUNCE * 2
/** An announcement is taken to hold this long after it was sent, in ms: half of its life is left for what follows. */
const ANNOUNCED = LAPSE / 2

const noop = (): void => {}

/**
 * What an instance does for a shared store in the background: it wakes the
 * calls whose first delay the store holds due (whichever instance armed
 * it), and those whose work's owner stopped leasing them; and it tells the
 * store that it lives, and which calls it runs work for, so that others
 * know whose work is still running. Each only when the store can.
 */
export class SharedStoreDuties {
  readonly #store: SessionStore
  readonly #instance: string
  readonly #now: () => number
  readonly #wake: (id: string) => void
  /** The calls this instance runs work for now. */
  readonly #working: () => Iterable<string>
  #poller: NodeJS.Timeout | undefined
  readonly #announcer: NodeJS.Timeout | undefined
  /** An announcement made before the next one is due: a record lists work the last one did not lease. */
  #prompt: NodeJS.Timeout | undefined
  /** Tells the store that this instance lives; undefined when the store cannot be told. */
  readonly #say: (() => Promise<void>) | undefined
  /** When the latest announcement the store took was sent; -Infinity before the first. */
  #announcedAt = -Infinity
  /** Since when the store has taken this instance's announcements without a gap. */
  #steadySince = -Infinity
  /**
   * Which of some instances live, as far as this instance can tell; undefined
   * when the store cannot say. An instance missing from the store is taken
   * for gone only while this instance's own announcements have been taken
   * without a gap for a whole lapse: after a time in which the store could
   * not be reached (or answered late), the others could not announce either,
   * and every one of them is taken to live until it has had its chance to.
   */
  readonly present: Present | undefined
  /** The calls the latest announcement the store took leased. */
  #leased: ReadonlySet<string> = new Set()

  constructor (store: SessionStore, instance: string, now: () => number, wake: (id: string) => void, working: () => Iterable<string>) {
    this.#store = store
    this.#instance = instance
    this.#now = now
    this.#wake = wake
    this.#working = working
    const { present } = store
    this.present = present === undefined
      ? undefined
      : async (instances) => this.#judges() ? await storeCall(() => present.call(store, instances)) : instances
    if (store.dueCalls !== undefined) {
      // Jittered, so that instances started together do not all ask at once.
      this.#poller = setInterval(() => { this.pollDue().catch(noop) }, DUE_POLL + Math.floor(Math.random() * DUE_POLL / 2)).unref()
    }
    const { announce } = store
    if (announce !== undefined) {
      // A store that throws at once must not take the process down: it fails like one that rejects.
      this.#say = async () => {
        const at = this.#now()
        const calls = new Set(this.#working())
        const released = [...this.#leased].filter((id) => !calls.has(id))
        await storeCall(() => announce.call(store, instance, LAPSE, { calls: [...calls], until: at + LAPSE, released }))
        // A gap since the last announcement taken: the store was out of reach (or slow) meanwhile.
        // (An instance's first announcement is no gap: an instance that has just started judges at once.)
        if (at - this.#announcedAt > GAP && this.#announcedAt !== -Infinity) this.#steadySince = at
        this.#announcedAt = Math.max(this.#announcedAt, at)
        this.#leased = calls
      }
      this.#announcer = setInterval(() => this.#announce(), ANNOUNCE).unref()
      this.#announce()
    }
  }

  /** Whether this instance can tell a gone instance from one the store could not hear: see `present`. */
  #judges (): boolean {
    // Without announcements of its own to go by, the store's word is taken.
    if (this.#say === undefined) return true
    const now = this.#now()
    return now - this.#announcedAt <= GAP && now - this.#steadySince >= LAPSE
  }

  #announce (): void {
    (this.#say as () => Promise<void>)().catch(noop)
  }

  /**
   * Before `record` is written: when it lists work this instance runs, the
   * store must know that this instance lives, or another instance would take
   * the work's owner for gone and run it again. Unless an announcement was
   * taken lately, one is made, and the write waits for it (it fails with it).
   * Work of a call the last announcement did not lease is leased at once,
   * in the background, so that it is taken over quickly should this
   * instance die.
   */
  owning (record: SessionRecord): Promise<void> | undefined {
    // A record this instance wrote lists its work, if only as none.
    if (this.#say === undefined || !(record.work as WorkRecord[]).some((work) => work.owner === this.#instance)) return undefined
    if (this.#now() - this.#announcedAt >= ANNOUNCED) return this.#say()
    if (!this.#leased.has(record.session.id)) {
      // One announcement for every record written in the same tick.
      clearTimeout(this.#prompt)
      this.#prompt = setTimeout(() => this.#announce(), 0)
    }
    return undefined
  }

  /** Wakes every call whose first delay the store holds due, or whose work's lease ran out, and resolves once they are woken. */
  async pollDue (): Promise<void> {
    const ids = await (this.#store.dueCalls as NonNullable<SessionStore['dueCalls']>)(this.#now() - DUE_GRACE, 100)
    for (const id of ids) this.#wake(id)
  }

  /** Closing: no call is woken here any longer; the announcements go on until `withdraw`. */
  stopPolling (): void {
    clearInterval(this.#poller)
    this.#poller = undefined
  }

  /**
   * Closing: this instance stops announcing itself and withdraws from the
   * store, and `calls`, whose work it stopped, are due at once elsewhere
   * (with those it leased last). Resolves once the store has taken it;
   * a store that cannot be told lets this instance lapse instead.
   */
  async withdraw (calls: Iterable<string>): Promise<void> {
    this.stop()
    const { withdraw } = this.#store
    if (withdraw === undefined) return
    const handed = [...new Set([...calls, ...this.#leased])]
    await storeCall(() => withdraw.call(this.#store, this.#instance, handed))
  }

  stop (): void {
    this.stopPolling()
    clearInterval(this.#announcer)
    clearTimeout(this.#prompt)
  }
}
