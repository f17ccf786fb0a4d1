import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { eventSchemas } from '../protocol'
import { editDistance } from '../protocol/nearest-name'
import { emitsOf, restingStates, type EmitPlace } from './flow-emits'
import { placeOf } from './part-names'
import { stateNodes, targetsOf, transitionsOf } from './xstate-parts'
import { reachableStates } from './reachable'
import { REPLY_DEADLINE } from '../flow/reply-deadline'
import { SENTENCE } from '../agent/model-turn'

/** Events the plugin itself sends a flow: at a webhook reply's deadline, and an agent state's sentences. */
const PLUGIN_EVENTS = [REPLY_DEADLINE, SENTENCE]

/** One thing `check` found. */
export interface Finding {
  level: 'error' | 'warning'
  /** The rule, as the docs list it: `unknown-event`, `unreachable`, … */
  rule: string
  /** The state it is about (`booking.askDate`; the machine's id for the machine itself). */
  state: string
  message: string
}

export interface CheckOptions {
  /** Event types the flow receives besides the protocol's: its `types.events`, which run time cannot see. */
  events?: readonly string[]
}

const PROTOCOL_EVENTS: ReadonlySet<string> = new Set(Object.keys(eventSchemas))

/** The node and every state above it: the states whose transitions apply while it is active. */
function withAncestors (node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = []
  for (let at: AnyStateNode | undefined = node; at !== undefined; at = at.parent) chain.push(at)
  return chain
}

function handles (states: readonly AnyStateNode[], type: string): boolean {
  return states.some((state) => withAncestors(state).some((node) => node.transitions.has(type) || node.transitions.has('*')))
}

function descendants (node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(descendants)]
}

/** Every action with what it is known to emit, and the states the flow rests in after it. */
function emitPlaces (machine: AnyStateMachine): EmitPlace[] {
  const places: EmitPlace[] = []
  for (const node of stateNodes(machine)) {
    const entry = node.entry.flatMap((action) => emitsOf(action, machine))
    if (entry.length > 0) places.push({ node, when: 'entry', rests: restingStates([node]), emits: entry })
    for (const { eventType, transition } of transitionsOf(node)) {
      const emits = transition.actions.flatMap((action) => emitsOf(action, machine))
      if (emits.length === 0) continue
      const targets = targetsOf(transition)
      const rests = targets.length > 0 ? restingStates(targets) : descendants(node)
      places.push({ node, when: eventType === '' ? 'always' : eventType, rests, emits })
    }
  }
  return places
}

function eventKnown (type: string, known: ReadonlySet<string>): boolean {
  return known.has(type) || type === '*' || type.startsWith('xstate.')
}

function suggestion (type: string, known: ReadonlySet<string>): string {
  const close = [...known].find((name) => editDistance(type, name) <= 2)
  return close === undefined ? '' : ` (did you mean "${close}"?)`
}

function unknownEvents (machine: AnyStateMachine, known: ReadonlySet<string>): Finding[] {
  return stateNodes(machine).flatMap((node) => [...node.transitions.keys()]
    .filter((type) => !eventKnown(type, known))
    .map((type): Finding => ({
      level: 'error',
      rule: 'unknown-event',
      state: placeOf(node),
      message: `waits for "${type}", which the protocol does not send${suggestion(type, known)}; if the service sends it, declare it (check --types reads a TypeScript flow's types.events, --event names it)`
    })))
}

function unreachable (machine: AnyStateMachine): Finding[] {
  const reached = reachableStates(machine)
  return stateNodes(machine)
    .filter((node) => !reached.has(node) && node.parent !== undefined && reached.has(node.parent))
    .map((node) => ({ level: 'error', rule: 'unreachable', state: placeOf(node), message: 'no transition leads here, and it is not an initial state' }))
}

function deadEnds (machine: AnyStateMachine, places: readonly EmitPlace[]): Finding[] {
  const hangsUp = new Set(places.filter((place) => place.emits.some(({ action }) => action.type === 'hangup')).flatMap((place) => place.rests))
  return stateNodes(machine)
    .filter((node) => node.type === 'atomic' && !hangsUp.has(node))
    .filter((node) => !withAncestors(node).some((at) => transitionsOf(at).some(({ transition }) => targetsOf(transition).length > 0)))
    .map((node) => ({
      level: 'error',
      rule: 'dead-end',
      state: placeOf(node),
      message: 'no event leads out of this state, it is not final and it does not hang up: a call here is stuck'
    }))
}

function unanswered (places: readonly EmitPlace[], actionType: string, field: string, eventType: string, rule: string, why: string): Finding[] {
  return places
    .filter((place) => place.emits.some(({ action }) => action.type === actionType && action[field] !== undefined))
    .filter((place) => !handles(place.rests, eventType))
    .map((place) => ({ level: 'error', rule, state: placeOf(place.node), message: `${place.when === 'entry' ? 'on entry' : `on ${place.when}`}, ${why}` }))
}

function shadowed (machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = []
  for (const node of stateNodes(machine)) {
    const lists = [...node.transitions.entries(), ['always', node.always ?? []] as const]
    for (const [type, list] of lists) {
      const open = list.findIndex((transition) => transition.guard === undefined)
      if (open !== -1 && open < list.length - 1) {
        findings.push({ level: 'warning', rule: 'shadowed-transition', state: placeOf(node), message: `on ${type}: ${list.length - 1 - open} transition(s) after one without a guard are never taken` })
      }
    }
  }
  return findings
}

/**
 * Reads a flow for mistakes a call would otherwise find: events the
 * protocol never sends, states nothing leads to, states no event leaves, a
 * `transfer` with a `timeout` whose `session_start` nothing answers, a
 * `speak` that waits for the caller whose `user_input_timeout` nothing
 * answers. Warnings: transitions that a guardless one before them hides. Only the machine itself is read, not the
 * machines it invokes; actions are known as {@link emitsOf} knows them.
 *
 * @example
 * const errors = checkFlow(flow).filter((finding) => finding.level === 'error')
 */
export function checkFlow (machine: AnyStateMachine, options: CheckOptions = {}): Finding[] {
  const known = new Set([...PROTOCOL_EVENTS, ...PLUGIN_EVENTS, ...(options.events ?? [])])
  const places = emitPlaces(machine)
  return [
    ...unknownEvents(machine, known),
    ...unreachable(machine),
    ...deadEnds(machine, places),
    ...unanswered(places, 'transfer', 'timeout', 'session_start', 'transfer-without-fallback',
      'a transfer with a timeout comes back as session_start when nobody answers, and nothing here handles it'),
    ...unanswered(places, 'speak', 'user_input_timeout_seconds', 'user_input_timeout', 'silence-not-handled',
      'a speak waits for the caller (user_input_timeout_seconds), and nothing here handles user_input_timeout'),
    ...shadowed(machine)
  ]
}
