import type { SessionStore } from '../stores/store'
import type { Logger } from './logger'

/** How long a lost answer's check waits before it asks a store that did not answer again, in ms. */
const ASK_AGAIN = 50

export interface LostAnswerCheck {
  /** Until when the store is asked, in ms on `now`'s clock: the reply deadline. */
  until: number
  now: () => number
  log: Logger
}

/**
 * After a write of the call's record under `token` whose answer was lost
 * (the connection dropped after the command went, or it timed out): asks
 * the store whether the write was done, again and again while the store
 * does not answer, until `until`. Resolves true when it was done: the
 * event's state is kept, and it is answered with its reply. False when it
 * was not: the event is answered 503, and has no effect. Undefined when
 * that cannot be known in time, which the log says at `warn`: the event is
 * answered 503, and may have been applied.
 */
export async function lostAnswerWritten (store: SessionStore, id: string, token: string, { until, now, log }: LostAnswerCheck): Promise<boolean | undefined> {
  const { checkWrite } = store
  let why: unknown = new Error('the store cannot tell whether a write was done (it has no checkWrite())')
  if (checkWrite !== undefined) {
    for (;;) {
      try {
        const done = await checkWrite.call(store, id, token)
        if (done !== undefined) return done
        why = new Error('the store can no longer tell whether the write was done (the call is gone, or was written many times since)')
        break
      } catch (err) {
        why = err
      }
      const left = until - now()
      if (left <= 0) break
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, ASK_AGAIN)).unref())
    }
  }
  log.warn({ err: why, sessionId: id }, 'the answer to a save was lost, and whether the save was done cannot be known within the reply deadline: its event is answered 503, and may have been applied all the same')
  return undefined
}
