import type { CallTasks } from './call-tasks'
import type { CallTurns } from './call-turns'
import type { LocalDueCalls } from './due-calls'
import type { HeldCalls } from './held-calls'
import type { LiveActors } from './live-actors'
import type { Logger } from './logger'
import type { SharedStoreDuties } from './shared-duties'
import type { WorkRunner } from './work-runner'

/** How long closing waits for work that does not heed its signal, at most, in ms. */
export const CLOSE_PATIENCE = 500
/** How long closing lets running work finish, with a shared store, before it hands the work over, in ms. */
export const DRAIN_TIMEOUT = 10_000

/** What closing stops, in its order. */
export interface ClosingParts {
  calls: HeldCalls
  tasks: CallTasks
  turns: CallTurns
  work: WorkRunner
  due: LocalDueCalls
  live: LiveActors
  /** With a shared store. */
  duties: SharedStoreDuties | undefined
  /** Stops hearing of calls ended on other instances. */
  unwatchEnds: (() => void) | undefined
  replyTimeout: number
  drainTimeout: number | undefined
  log: Logger
}

/**
 * Lets go of every call: events in flight are answered first. With a
 * shared store, running work then has `drainTimeout` ms to finish, its
 * results kept with its calls, while this instance goes on announcing
 * itself. Then every piece of work left (a model's stream too) is
 * stopped through its signal and waited for (work that ignores its
 * signal, briefly); with a shared store, this instance withdraws, and
 * its calls' work runs again elsewhere at once, with the same keys.
 */
export async function closeCalls ({ calls, tasks, turns, work, due, live, duties, unwatchEnds, replyTimeout, drainTimeout, log }: ClosingParts): Promise<void> {
  // No call is woken here any longer; announcements go on while work finishes.
  duties?.stopPolling()
  due.clear()
  // With no work to let finish, a turn without an event that fails from now on is not tried again.
  if (duties === undefined) turns.stop()
  // Events in flight finish first: their replies go out and their locks are released.
  await tasks.drain()
  if (duties !== undefined) {
    // Work has its time to finish, and what it leaves is kept (a failed keep tried again), before anything stops.
    await drainWork(work, tasks, drainTimeout ?? DRAIN_TIMEOUT)
    turns.stop()
  }
  unwatchEnds?.()
  const handed = [...work.calls()]
  const stopped = work.stop(Math.min(replyTimeout, CLOSE_PATIENCE))
  calls.endAll()
  live.clear()
  await stopped
  // Only once its work has stopped: another instance runs it again from now on.
  if (duties !== undefined) await withdraw(duties, handed, log)
}

/**
 * Lets running work finish, and its results be kept (the turns they ask
 * for run), for at most `timeout` ms. Applying a result may start more
 * work: that too may finish in time.
 */
async function drainWork (work: WorkRunner, tasks: CallTasks, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let over = false
  const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeout) })
  const finished = (async () => {
    for (;;) {
      if (over || !work.busy) return
      await work.settled()
      await tasks.drain()
    }
  })()
  await Promise.race([finished, late])
  over = true
  clearTimeout(timer)
}

/**
 * Withdraws this instance's announcement once its work has stopped: the
 * other instances run the work of the `handed` calls again at once, with
 * the same keys. A shared store keeps the calls themselves: only running
 * work changes hands. A failure is logged; the work then waits for this
 * instance's announcement to lapse.
 */
async function withdraw (duties: SharedStoreDuties, handed: string[], log: Logger): Promise<void> {
  try {
    await duties.withdraw(handed)
    if (handed.length > 0) log.info({ handedOver: handed.length }, 'closing: the calls with work still running here are handed over to the other instances')
  } catch (err) {
    log.warn({ err, handedOver: handed.length }, 'closing: withdrawing from the store failed; the other instances take over the work still running once this instance lapses')
  }
}
