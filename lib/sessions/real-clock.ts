import type { Clock } from './xstate-adapter'

/** The longest wait one Node timer takes: a longer one fires after 1 ms. */
export const MAX_TIMEOUT = 2 ** 31 - 1

interface Chained {
  timer: NodeJS.Timeout | undefined
}

/**
 * Calls `fn` after `ms`, however long: a wait longer than `max` is a chain
 * of timers, each at most `max`. None keeps the process alive.
 */
export function chainedTimeout (fn: () => void, ms: number, max = MAX_TIMEOUT): Chained {
  const handle: Chained = { timer: undefined }
  const wait = (left: number): void => {
    handle.timer = setTimeout(() => { if (left > max) wait(left - max); else fn() }, Math.min(left, max)).unref()
  }
  wait(ms)
  return handle
}

/** Real time, for flows that run without a test clock: a pending delay keeps no process alive. */
export const realClock: Clock = {
  setTimeout: (fn, ms) => chainedTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout((handle as Chained).timer)
}
