import type { Call, CallTask } from './call'
import type { CallRecords } from './call-records'

/**
 * Runs each call's turns one after another, and counts them, so that
 * closing can wait for every one still running.
 */
export class CallTasks {
  readonly #records: CallRecords
  #busy = 0
  /** Every drain waiting: each is told when no task is left. */
  readonly #drained: Array<() => void> = []

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
    // Counted until the call is done with it: a turn its end queues (work that ended meanwhile) is counted before this one no longer is.
    return call.enqueue(task, claim, this.#done, defer, quiet)
  }

  /** Resolves once no task is running or queued, those queued meanwhile included. */
  async drain (): Promise<void> {
    while (this.#busy > 0) await new Promise<void>((resolve) => { this.#drained.push(resolve) })
  }

  /** One function for every task: no closure or promise of its own per event. */
  readonly #done = (): void => {
    if (--this.#busy === 0) for (const drained of this.#drained.splice(0)) drained()
  }
}
