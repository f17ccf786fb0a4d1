import { and, type AnyTransitionConfig } from 'xstate'

type Guard = (args: { event: any }) => boolean

/** A transition out of a fragment: XState's, with a guard that sees `event.output`. */
export interface NextTransition extends Omit<AnyTransitionConfig, 'guard'> {
  guard?: string | { type: string, params?: unknown } | ((args: { context: any, event: any }) => boolean)
}

/**
 * Where a fragment goes when it ends: a target (a sibling state's key, or
 * `#id`), a transition config, or several guarded ones. The transition sees
 * the fragment's output as `event.output`.
 */
export type Next = string | NextTransition | NextTransition[]

/**
 * The `onDone` transitions for one outcome of a fragment: each of `next`,
 * guarded by `outcome` (and by its own guard, when it has one).
 */
export function doneTransitions (next: Next, outcome: Guard): AnyTransitionConfig[] {
  const list = Array.isArray(next) ? next : [typeof next === 'string' ? { target: next } : next]
  return list.map((transition) => ({
    ...transition,
    guard: transition.guard === undefined ? outcome : and([outcome, transition.guard as Guard])
  }) as AnyTransitionConfig)
}

/** Names a guard, so that Stately's inspector and visualiser show what it checks. */
export function named<T extends Guard> (name: string, guard: T): T {
  return Object.defineProperty(guard, 'name', { value: name })
}

/** A guard on the fragment's output: `output.result === result`. */
export function resultIs (result: string): Guard {
  return named(`result is ${result}`, ({ event }) => (event.output as { result?: unknown } | undefined)?.result === result)
}
