import type { AnyStateNode } from 'xstate'
import { exitOf, fragmentOf } from '../flow/fragments/exits'

export type Transition = AnyStateNode['transitions'] extends Map<string, Array<infer T>> ? T : never

/**
 * The label of one transition: its event (or delay, done or always), and its
 * guard. A fragment's exit is labelled with what it means instead: `small`
 * (a menu's choice), `answered`, `no input ×2`, `no match`, `digits complete`.
 */
export function transitionLabel (node: AnyStateNode, transition: Transition): string {
  const exit = fragmentExit(node, transition)
  if (exit !== undefined) return withGuard(exit.label, exit.guard)
  return withGuard(eventLabel(node, transition.eventType), transition.guard)
}

function withGuard (label: string, guard: unknown): string {
  const name = guardName(guard)
  return name === undefined ? label : `${label} [${name}]`
}

function fragmentExit (node: AnyStateNode, transition: Transition): { label: string, guard?: unknown } | undefined {
  const kind = fragmentOf(node)
  if (kind === 'collectDigits') {
    return transition.eventType.startsWith('xstate.done.actor.') ? { label: 'digits complete', guard: transition.guard } : undefined
  }
  return kind !== undefined && transition.eventType === `xstate.done.state.${node.id}` ? exitOf(transition.guard) : undefined
}

function eventLabel (node: AnyStateNode, eventType: string): string {
  if (eventType === '') return 'always'
  const delayed = node.after.find((after) => after.eventType === eventType)
  if (delayed !== undefined) return `after ${delayName(delayed.delay)}`
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType)
  if (actor !== null) {
    const invoked = node.invoke.find((definition) => definition.id === actor[2])
    return `${actor[1]}: ${invoked === undefined ? actor[2] : actorName(invoked.src)}`
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done'
  return eventType
}

function delayName (delay: unknown): string {
  if (typeof delay === 'number') return `${delay} ms`
  if (typeof delay === 'function') return delay.name === '' ? 'delay' : delay.name
  return String(delay)
}

/**
 * A guard by name: the name it has in `setup({ guards })`, a named
 * function's name, `a and b` / `a or b` / `not a` for XState's combinators,
 * and `guard` for an anonymous inline one.
 */
export function guardName (guard: unknown): string | undefined {
  if (guard === undefined) return undefined
  if (typeof guard === 'string') return guard
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown }).guards
    if (Array.isArray(parts) && ['and', 'or', 'not'].includes(guard.name)) {
      const names = parts.map((part) => guardName(part) as string)
      return guard.name === 'not' ? `not ${names[0]}` : names.join(` ${guard.name} `)
    }
    return guard.name === '' ? 'guard' : guard.name
  }
  const type = (guard as { type?: unknown } | null)?.type
  return typeof type === 'string' ? type : 'guard'
}

/** The actor's name in `setup({ actors })`; inline logic has only a generated one. */
export function actorName (src: unknown): string {
  return typeof src === 'string' && !src.startsWith('xstate.invoke.') ? src : 'actor'
}
