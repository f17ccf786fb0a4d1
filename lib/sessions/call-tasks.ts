import type { Call } from './call'
import type { Claim } from './call-lock'
import type { CallRecords } from './call-records'
import type { SessionRecord } from './store'

const noop = (): void => {}

/** Work on one call, given its stored record (undefined when the live call is all there is to know). */
export type CallTask<T> = (record: SessionRecord | undefined) => Promise<T>

/**
 * Runs each call's tasks one after another, each with the call's record,
 * and counts them, so that closing can wait for every one still running.
 */
export class CallTasks {
  readonly #records: CallRecords
  #busy = 0
  #drained: (() => void) | undefined

  constructor (records: CallRecords) {
    this.#records = records
  }

  /**
   * Runs `task` after every earlier task of the call. With a shared store
   * the task lines up for the call's lock at once, so that events keep
   * their arrival order across instances. A `quiet` task (a turn without
   * an event) does not cut short the wait of the one running.
   */
  run<T> (call: Call, task: CallTask<T>, defer = false, quiet = false): Promise<T> {
    const claim = this.#records.claim(call)
    this.#busy++
    return call.enqueue(() => this.#locked(call, claim, task), defer, quiet)
  }

  /** Resolves once no task is running or queued, those queued meanwhile included. */
  async drain (): Promise<void> {
    while (this.#busy > 0) await new Promise<void>((resolve) => { this.#drained = resolve })
  }

  async #locked<T> (call: Call, claim: Claim | undefined, task: CallTask<T>): Promise<T> {
    let stopRenewing = noop
    try {
      const loading = this.#records.load(call, claim)
      const record = loading instanceof Promise ? await loading : loading
      stopRenewing = this.#records.keepLock(call)
      return await task(record)
    } finally {
      stopRenewing()
      // Only a task that did not save (a stale copy's late save) still holds the lock here.
      const releasing = this.#records.release(call)
      if (releasing !== undefined) await releasing
      if (--this.#busy === 0) this.#drained?.()
    }
  }
}
