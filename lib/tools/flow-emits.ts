import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { builtinAction } from './xstate-parts'

/** An action a flow emits to the service, as far as it can be known without a call. */
export interface KnownEmit {
  action: { type: string, [field: string]: unknown }
  /**
   * `written` when the flow holds the action itself (`emit(speak('Hi'))`);
   * `computed` when a function made it, called once with the flow's initial
   * context and an empty event: a call may get something else.
   */
  known: 'written' | 'computed'
}

type Fields = Record<string, unknown>

function isAction (value: unknown): value is KnownEmit['action'] {
  return typeof value === 'object' && value !== null && typeof (value as Fields).type === 'string'
}

/** The context a flow starts with when it is written down; `{}` when a function makes it from the call's input. */
function probeContext (machine: AnyStateMachine): unknown {
  const context = machine.config.context
  return typeof context === 'object' && context !== null ? context : {}
}

function computed (make: (args: unknown, params: unknown) => unknown, machine: AnyStateMachine, params: unknown): KnownEmit[] {
  try {
    const action = make({ context: probeContext(machine), event: { type: '' } }, params)
    return isAction(action) ? [{ action, known: 'computed' }] : []
  } catch {
    // It needs what only a call has (the session, a reply): nothing is known.
    return []
  }
}

/**
 * What one action of the machine (`entry`, `exit` or a transition's) emits,
 * when that can be known: an `emit` of a written action, or of a function
 * that makes one from little (see {@link KnownEmit}); a name or `{ type }`
 * is looked up in the machine's `setup` actions. What `enqueueActions` and
 * the author's own functions emit cannot be known without a call.
 */
export function emitsOf (action: unknown, machine: AnyStateMachine, params?: unknown): KnownEmit[] {
  if (typeof action === 'string' || isAction(action)) {
    const name = typeof action === 'string' ? action : action.type
    const implementation = (machine.implementations.actions as Fields)[name]
    // A name stands for a function or a built-in action, never for another name.
    return typeof implementation === 'function' ? emitsOf(implementation, machine, typeof action === 'string' ? undefined : action.params) : []
  }
  const builtin = builtinAction(action)
  if (builtin?.kind !== 'emit') return []
  if (isAction(builtin.event)) return [{ action: builtin.event, known: 'written' }]
  return computed(builtin.event as (args: unknown, params: unknown) => unknown, machine, params)
}

/** Where an action leaves the flow: the states it rests in once the step that runs it is over. */
export interface EmitPlace {
  /** The state whose entry, or whose transition, runs the action. */
  node: AnyStateNode
  /** `entry`, `exit`, or the event of the transition. */
  when: string
  /** The states the flow is in afterwards (entered states, their initial children, and where `always` leads). */
  rests: AnyStateNode[]
  emits: KnownEmit[]
}

/** The states entered with `node`: itself, its initial (or, in parallel, every) child, and where their `always` transitions lead. */
export function restingStates (start: readonly AnyStateNode[]): AnyStateNode[] {
  const found = new Set<AnyStateNode>()
  const visit = (node: AnyStateNode): void => {
    if (found.has(node)) return
    found.add(node)
    if (node.type === 'compound') for (const child of node.initial.target as AnyStateNode[]) visit(child)
    if (node.type === 'parallel') for (const child of Object.values(node.states)) visit(child)
    for (const transition of node.always ?? []) for (const target of (transition.target ?? []) as AnyStateNode[]) visit(target)
  }
  start.forEach(visit)
  return [...found]
}
