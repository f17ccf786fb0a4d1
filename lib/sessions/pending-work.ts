import type { AnyActorLogic, AnyActorRef } from 'xstate'

type Logic = AnyActorLogic & { root?: unknown }

const PROBE = Symbol('probe')
const promiseLogic = new WeakMap<object, boolean>()

/**
 * Tells promise actors (`fromPromise`) from every other kind. XState gives
 * them no mark, so the logic is asked once, on a throw-away snapshot, how it
 * takes a resolved promise: only promise logic ends up `done` with the value.
 * The reply to an event waits for promise work only, because callback and
 * observable actors usually live as long as their state does.
 */
export function isPromiseLogic (logic: Logic): boolean {
  let known = promiseLogic.get(logic)
  if (known === undefined) {
    try {
      const snapshot = { status: 'active', output: undefined, error: undefined, input: undefined }
      const next = logic.transition(snapshot as never, { type: 'xstate.promise.resolve', data: PROBE }, {} as never)
      known = next.status === 'done' && next.output === PROBE
    } catch {
      known = false
    }
    promiseLogic.set(logic, known)
  }
  return known
}

const nothing: readonly AnyActorRef[] = Object.freeze([])

/**
 * The promise actors running anywhere below `actor` (child machines
 * included) that are not in `known`. Most calls have no child at all: for
 * them, no array is made.
 */
export function activeWork (actor: AnyActorRef, known: ReadonlySet<AnyActorRef>, found?: AnyActorRef[]): readonly AnyActorRef[] {
  // XState removes a child from `children` when it stops, so every entry is an actor.
  const children: Record<string, AnyActorRef> = actor.getSnapshot().children
  for (const key in children) {
    found ??= []
    const child = children[key]
    const logic = (child as unknown as { logic: Logic }).logic
    if (logic.root !== undefined) activeWork(child, known, found)
    else if (!known.has(child) && child.getSnapshot().status === 'active' && isPromiseLogic(logic)) found.push(child)
  }
  return found ?? nothing
}

/**
 * Resolves once any of `work` has finished, failed or been stopped. It
 * resolves a tick later, so that the parent has already taken the child's
 * done event when the caller looks again.
 */
export function anySettled (work: readonly AnyActorRef[]): { settled: Promise<void>, cancel: () => void } {
  let resolve!: () => void
  const settled = new Promise<void>((_resolve) => { resolve = _resolve })
  const subscriptions = work.map((ref) => ref.subscribe({ complete: resolve, error: resolve }))
  return { settled, cancel: () => { for (const subscription of subscriptions) subscription.unsubscribe() } }
}
