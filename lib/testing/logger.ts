import type { Logger } from '../sessions'

/**
 * A logger for the simulator's registry: silent, except that it keeps every
 * error logged (a flow that threw, an invalid action) so that a test can
 * look at why the caller got the fallback. `forward` gets every line too.
 */
export function collectingLogger (errors: Error[], forward?: Logger): Logger {
  const log: Logger = {
    child: () => log,
    debug: (obj, msg) => forward?.debug(obj, msg),
    info: (obj, msg) => forward?.info(obj, msg),
    warn: (obj, msg) => forward?.warn(obj, msg),
    error: (obj, msg) => {
      const err = (obj as { err?: unknown }).err
      errors.push(err instanceof Error ? err : new Error(msg ?? 'an error was logged'))
      forward?.error(obj, msg)
    }
  }
  return log
}
