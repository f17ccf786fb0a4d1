import type { AnyActorRef } from 'xstate'

const keys = new WeakMap<AnyActorRef, string>()

/**
 * The idempotency key of a piece of promise work: the same on every run of
 * the same invocation, on whichever instance runs it. Work runs once while
 * the instance that started it lives, and again (with the same key) only
 * when that instance is gone: hand the key to an outside service that
 * takes one, and a booking is made once whatever happens to the instance.
 * Undefined outside the plugin (in a bare XState actor).
 *
 * @example
 * fromPromise(async ({ input, self }) => calendar.book(input, { idempotencyKey: workKey(self) }))
 */
export function workKey (self: AnyActorRef): string | undefined {
  return keys.get(self)
}

/** Gives a running invocation its key: the session engine does, before the work runs. */
export function setWorkKey (self: AnyActorRef, key: string): void {
  keys.set(self, key)
}
