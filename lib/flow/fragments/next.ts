import type { AnyTransitionConfig } from 'xstate'
import { exitGuard, type ExitGuard } from './exits'

/** A {@link Next} as fragments handle it inside, where its types are the flow's own. */
export type AnyNext = string | AnyTransitionConfig | AnyTransitionConfig[]

/** The transitions of a {@link Next}, as a list. */
export function transitions (next: AnyNext): AnyTransitionConfig[] {
  return Array.isArray(next) ? next : [typeof next === 'string' ? { target: next } : next]
}

/**
 * The `onDone` transitions for one exit of a fragment: each of `next`,
 * guarded by `exit` (and by its own guard, when it has one).
 */
export function doneTransitions (next: AnyNext, exit: ExitGuard): AnyTransitionConfig[] {
  return transitions(next).map((transition) => ({ ...transition, guard: exitGuard(exit, transition.guard) }) as AnyTransitionConfig)
}
