import type { CallTasks } from './call-tasks'
import type { Logger } from './logger'
import type { SharedStoreDuties } from './shared-duties'
import type { WorkRunner } from './work-runner'

/** How long closing waits for work that does not heed its signal, at most, in ms. */
export const CLOSE_PATIENCE = 500
/** How long closing lets running work finish, with a shared store, before it hands the work over, in ms. */
export const DRAIN_TIMEOUT = 10_000

/**
 * Lets running work finish, and its results be kept (the turns they ask
 * for run), for at most `timeout` ms. Applying a result may start more
 * work: that too may finish in time.
 */
export async function drainWork (work: WorkRunner, tasks: CallTasks, timeout: number): Promise<void> {
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
export async function withdraw (duties: SharedStoreDuties, handed: string[], log: Logger): Promise<void> {
  try {
    await duties.withdraw(handed)
    if (handed.length > 0) log.info({ handedOver: handed.length }, 'closing: the calls with work still running here are handed over to the other instances')
  } catch (err) {
    log.warn({ err, handedOver: handed.length }, 'closing: withdrawing from the store failed; the other instances take over the work still running once this instance lapses')
  }
}
