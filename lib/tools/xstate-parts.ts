import type { AnyStateMachine, AnyStateNode } from 'xstate'

/*
 * The one place that reads how XState v5 keeps a machine's parts at run
 * time: built-in actions are functions with a `type` of `xstate.*` and
 * their argument on a field (`emit.event`, `assign.assignment`), and
 * `and`/`or`/`not` guards are functions with `check` and `guards`.
 * test/tools/xstate-parts.test.ts fails loudly when an upgrade changes it.
 */

/** One transition of a state node as XState keeps it. */
export type Transition = AnyStateNode['transitions'] extends Map<string, Array<infer T>> ? T : never

/** A built-in action (`emit`, `assign`, `sendTo`, `raise`, `enqueueActions`, …) and what it was given. */
export interface BuiltinAction {
  /** `emit`, `assign`, `sendTo`, …: the type without `xstate.`. */
  kind: string
  /** `emit` and `raise`: the event, or the function that makes it. `sendTo`: the event sent. */
  event?: unknown
  /** `sendTo`: the receiver, an id or a function. */
  to?: unknown
  /** `assign`: the object of assignments, or the function that makes them. */
  assignment?: unknown
}

/**
 * Whether the action is one XState adds itself for an `after` transition: a
 * `raise` of the delayed event on entry, its `cancel` on exit. They are not
 * the author's, and `createMachine` adds them again.
 */
export function isDelayAction (action: unknown): boolean {
  if (typeof action !== 'function') return false
  const { type, event, sendId } = action as unknown as Fields
  const delayed = (name: unknown): boolean => typeof name === 'string' && name.startsWith('xstate.after.')
  return (type === 'xstate.raise' && delayed((event as Fields | undefined)?.type)) || (type === 'xstate.cancel' && delayed(sendId))
}

/** The author's own entry (or exit) actions of a node, without the ones XState adds for delays. */
export function ownActions (actions: readonly unknown[]): unknown[] {
  return actions.filter((action) => !isDelayAction(action))
}

/** A guard made of others with `and`, `or` or `not`. */
export interface CompositeGuard {
  kind: 'and' | 'or' | 'not'
  guards: unknown[]
}

type Fields = Record<string, unknown>

/** The built-in action `action` is, or undefined for a name, a `{ type }` object or the author's own function. */
export function builtinAction (action: unknown): BuiltinAction | undefined {
  if (typeof action !== 'function') return undefined
  const fields = action as unknown as Fields
  if (typeof fields.type !== 'string' || !fields.type.startsWith('xstate.')) return undefined
  return { kind: fields.type.slice('xstate.'.length), event: fields.event, to: fields.to, assignment: fields.assignment }
}

/** The parts of an `and([...])`, `or([...])` or `not(...)` guard, or undefined for any other guard. */
export function compositeGuard (guard: unknown): CompositeGuard | undefined {
  if (typeof guard !== 'function') return undefined
  const { check, guards } = guard as unknown as Fields
  if (typeof check !== 'function' || !Array.isArray(guards)) return undefined
  const kind = guard.name
  return kind === 'and' || kind === 'or' || kind === 'not' ? { kind, guards } : undefined
}

/** Every state node of the machine, parents before children, in document order. */
export function stateNodes (machine: AnyStateMachine): AnyStateNode[] {
  const nodes: AnyStateNode[] = []
  const visit = (node: AnyStateNode): void => {
    nodes.push(node)
    for (const child of Object.values(node.states)) visit(child)
  }
  visit(machine.root)
  return nodes
}

/** A transition with where it stands: its node, its event (`''` for `always`) and its place among the node's transitions for that event. */
export interface PlacedTransition {
  node: AnyStateNode
  eventType: string
  index: number
  transition: Transition
}

/** The node's transitions: its `on`, `after`, `onDone` and invoke ones, then its `always` ones. */
export function transitionsOf (node: AnyStateNode): PlacedTransition[] {
  const placed: PlacedTransition[] = []
  for (const [eventType, list] of node.transitions) {
    list.forEach((transition, index) => placed.push({ node, eventType, index, transition }))
  }
  for (const [index, transition] of (node.always ?? []).entries()) placed.push({ node, eventType: '', index, transition })
  return placed
}

/** The targets of a transition, as state nodes (none for a transition that stays). */
export function targetsOf (transition: Transition): AnyStateNode[] {
  return (transition.target ?? []) as AnyStateNode[]
}

/**
 * What the node's invoke number `index` was written with: the name of an
 * actor of `setup`, or inline logic (XState gives that a generated `src`
 * name, so it is read from the state's config).
 */
export function invokedLogic (node: AnyStateNode, index: number): unknown {
  const { invoke } = node.config as { invoke?: unknown }
  const written = (Array.isArray(invoke) ? invoke : [invoke])[index] as { src?: unknown }
  return written.src
}

/** A transition's name in coverage records: its state's id, its event (`always` for none) and its place among that event's transitions. */
export function transitionKey (node: AnyStateNode, transition: Transition): string {
  const list = (transition.eventType === '' ? node.always : node.transitions.get(transition.eventType)) as Transition[]
  return `${node.id} ${transition.eventType === '' ? 'always' : transition.eventType} ${list.indexOf(transition)}`
}

/** The events an `emit` among the actions a pure `transition()` returned would send. */
export function emittedEvents (actions: ReadonlyArray<{ type: string, params?: unknown }>): unknown[] {
  return actions.filter((action) => action.type === 'xstate.emit').map((action) => (action.params as { event?: unknown } | undefined)?.event)
}
