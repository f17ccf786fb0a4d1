import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { PartNames, placeOf } from './part-names'
import { builtinAction, compositeGuard, invokedLogic, ownActions, targetsOf, type Transition } from './xstate-parts'

type Config = Record<string, unknown>

/** A value that JSON carries unchanged: no functions, no class instances, no cycles. */
export function isPlainJson (value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true
  if (typeof value !== 'object' || seen.has(value)) return false
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false
  seen.add(value)
  const ok = Object.values(value).every((inner) => inner === undefined || isPlainJson(inner, seen))
  seen.delete(value)
  return ok
}

/** `{ type, params }` with the params only when JSON carries them. */
function named (type: string, params: unknown): string | Config {
  return params !== undefined && isPlainJson(params) ? { type, params } : type
}

/**
 * Writes one machine out as a config: every part by name, inline functions
 * named by {@link PartNames}.
 */
class ConfigWriter {
  readonly #names: PartNames

  constructor (machine: AnyStateMachine) {
    const { guards, actions, actors, delays } = machine.implementations
    this.#names = new PartNames([guards, actions, actors, delays].flatMap((parts) => Object.keys(parts)))
  }

  guard (guard: unknown, place: string): string | Config {
    if (typeof guard === 'string') return guard
    if (typeof guard === 'object' && guard !== null) {
      const { type, params } = guard as Config
      return named(String(type), params)
    }
    const composite = compositeGuard(guard)
    if (composite !== undefined) {
      const parts = composite.guards.map((inner) => this.#guardName(this.guard(inner, place)))
      return this.#names.of(guard, composite.kind === 'not' ? `not ${parts[0]}` : parts.join(` ${composite.kind} `), false)
    }
    return this.#names.of(guard, place)
  }

  #guardName (guard: string | Config): string {
    return typeof guard === 'string' ? guard : String(guard.type)
  }

  action (action: unknown, place: string): string | Config {
    if (typeof action === 'string') return action
    if (typeof action === 'object' && action !== null) {
      const { type, params } = action as Config
      return named(String(type), params)
    }
    const builtin = builtinAction(action)
    if (builtin === undefined) return this.#names.of(action, place)
    const { kind, event, to, assignment } = builtin
    // What a reader of the diagram needs to know of a built-in action, when it is known without running it.
    const params: Config = { xstate: kind }
    if (isPlainJson(event)) params.event = event
    if (typeof to === 'string') params.to = to
    if (typeof assignment === 'object' && assignment !== null) params.assigns = Object.keys(assignment)
    return { type: this.#names.of(action, place, false), params }
  }

  actions (actions: readonly unknown[], place: string): Config {
    if (actions.length === 0) return {}
    const named = actions.map((action) => this.action(action, place))
    return { actions: named.length === 1 ? named[0] : named }
  }

  /** How a transition from `source` names its target: a sibling by key, a child by `.key`, anything else by `#id`. */
  target (source: AnyStateNode, target: AnyStateNode): string {
    if (target.parent === source.parent && source.parent !== undefined) return target.key
    if (target.parent === source) return `.${target.key}`
    return `#${target.id}`
  }

  transition (node: AnyStateNode, transition: Transition, label: string): Config {
    const targets = targetsOf(transition).map((target) => this.target(node, target))
    const place = `${placeOf(node)}.${label}`
    return {
      ...(targets.length > 0 && { target: targets.length === 1 ? targets[0] : targets }),
      ...(transition.guard !== undefined && { guard: this.guard(transition.guard, targets.length === 1 ? `${placeOf(node)}.${targets[0].replace(/^[.#]/, '')}` : place) }),
      ...this.actions(transition.actions, place),
      ...(transition.reenter && { reenter: true }),
      ...(transition.description !== undefined && { description: transition.description })
    }
  }

  transitions (node: AnyStateNode, list: readonly Transition[], label: string): Config | Config[] {
    const written = list.map((transition) => this.transition(node, transition, label))
    return written.length === 1 ? written[0] : written
  }

  invoke (node: AnyStateNode, taken: Set<string>): Config[] {
    return node.invoke.map((definition, index) => {
      const { id, input, systemId } = definition as { id: string, input?: unknown, systemId?: string }
      const logic = invokedLogic(node, index)
      const inline = typeof logic !== 'string'
      const machineId = (logic as { id?: unknown } | undefined)?.id
      const name = !inline ? logic : this.#names.of(logic, typeof machineId === 'string' ? machineId : `${placeOf(node)}.invoke`, false)
      const events = { onDone: `xstate.done.actor.${id}`, onError: `xstate.error.actor.${id}`, onSnapshot: `xstate.snapshot.${id}` }
      const config: Config = { id, src: name }
      if (systemId !== undefined) config.systemId = systemId
      if (input !== undefined && isPlainJson(input)) config.input = input
      for (const [key, eventType] of Object.entries(events)) {
        const list = node.transitions.get(eventType)
        if (list === undefined) continue
        taken.add(eventType)
        config[key] = this.transitions(node, list, key)
      }
      return config
    })
  }

  state (node: AnyStateNode): Config {
    const taken = new Set<string>()
    const config: Config = {}
    const defaultId = [node.machine.id, ...node.path].join('.')
    if (node.id !== defaultId) config.id = node.id
    if (node.type !== 'atomic' && node.type !== 'compound') config.type = node.type
    if (node.type === 'history' && node.history === 'deep') config.history = 'deep'
    if (node.type === 'compound') config.initial = (node.initial.target as AnyStateNode[])[0].key
    if (node.description !== undefined) config.description = node.description
    if (node.tags.length > 0) config.tags = [...node.tags]
    if (node.meta !== undefined && isPlainJson(node.meta)) config.meta = node.meta
    if (node.output !== undefined && isPlainJson(node.output)) config.output = node.output
    const entry = ownActions(node.entry)
    const exit = ownActions(node.exit)
    if (entry.length > 0) config.entry = this.actions(entry, `${placeOf(node)}.entry`).actions
    if (exit.length > 0) config.exit = this.actions(exit, `${placeOf(node)}.exit`).actions
    if (node.invoke.length > 0) config.invoke = this.invoke(node, taken)
    const after: Config = {}
    for (const { delay, eventType } of node.after) {
      taken.add(eventType)
      after[String(delay)] = this.transitions(node, node.transitions.get(eventType) as Transition[], `after ${String(delay)}`)
    }
    if (Object.keys(after).length > 0) config.after = after
    const done = `xstate.done.state.${node.id}`
    const onDone = node.transitions.get(done)
    if (onDone !== undefined) {
      taken.add(done)
      config.onDone = this.transitions(node, onDone, 'done')
    }
    const on: Config = {}
    for (const [eventType, list] of node.transitions) {
      if (!taken.has(eventType)) on[eventType] = this.transitions(node, list, eventType)
    }
    if (Object.keys(on).length > 0) config.on = on
    if (node.always !== undefined) config.always = this.transitions(node, node.always, 'always')
    const children = Object.values(node.states)
    if (children.length > 0) config.states = Object.fromEntries(children.map((child) => [child.key, this.state(child)]))
    return config
  }
}

/**
 * The machine as a config that XState's `createMachine` accepts and that
 * Stately Studio and the XState VS Code extension read: its states,
 * transitions, delays, invokes, tags and descriptions, with guards, actions
 * and actors by name. Inline functions get names from where they stand
 * (`menu.sales` for the guard of the transition from `menu` to `sales`,
 * `welcome.entry` for an entry action); what a built-in action such as
 * `emit(speak('Hi'))` does is kept in its `params`, when it is known
 * without running the flow.
 *
 * @example
 * const config = toStatelyConfig(flow)
 * const twin = createMachine(config) // the same statechart, to draw or to edit
 */
export function toStatelyConfig (machine: AnyStateMachine): Config {
  const { id: _, ...root } = new ConfigWriter(machine).state(machine.root)
  const context = machine.config.context
  return { id: machine.id, ...(context !== undefined && isPlainJson(context) && { context }), ...root }
}

/** The config as a TypeScript module that calls `createMachine`, which Stately's VS Code extension opens. */
export function statelyModule (config: Config, source: string): string {
  const literal = JSON.stringify(config, null, 2).replace(/^(\s*)"([A-Za-z_$][\w$]*)":/gm, '$1$2:')
  return 'import { createMachine } from \'xstate\'\n\n' +
    `// Made by \`fastify-ai-flow export ${source}\`: the statechart only; guards, actions and actors are named, not implemented.\n` +
    `export const machine = createMachine(${literal})\n`
}
