import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate'
import { activeStateIds } from './state-value'
import { MermaidIds, mermaidText } from './mermaid-text'

export interface MermaidOptions {
  /** A state value (as `snapshot.value` gives it): its active states are drawn highlighted. */
  highlight?: StateValue
  /** Diagram direction. Default `TB` (top to bottom). */
  direction?: 'TB' | 'LR'
}

type Transition = AnyStateNode['transitions'] extends Map<string, Array<infer T>> ? T : never

/** The class highlighted states get; the live view styles it too. */
export const ACTIVE_CLASS = 'active'

const ANY_STATE = 'any_state'

/**
 * The flow as a Mermaid `stateDiagram-v2`: every state (nested and parallel
 * ones included), initial and final states, and every transition that leads
 * somewhere, labelled with its event, guard, delay or invoked actor.
 * Transitions of the machine itself (taken whatever the state) start from a
 * pseudo-state named "any state".
 *
 * @example
 * process.stdout.write(toMermaid(flow, { highlight: actor.getSnapshot().value }))
 */
export function toMermaid (machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const ids = new MermaidIds([ANY_STATE])
  const lines = ['stateDiagram-v2', `  direction ${options.direction ?? 'TB'}`]
  const root = machine.root
  const rootEdges = edges(root, ids, ANY_STATE)
  if (rootEdges.length > 0) lines.push(`  state "any state" as ${ANY_STATE}`)
  lines.push(...children(root, ids, '  '))
  lines.push(...rootEdges.map((edge) => `  ${edge}`))
  if (rootEdges.length > 0) lines.push('  classDef anyState stroke-dasharray: 4 4', `  class ${ANY_STATE} anyState`)
  const active = highlighted(machine, options.highlight, ids)
  if (active.length > 0) {
    lines.push(`  classDef ${ACTIVE_CLASS} fill:#ffd54f,stroke:#e65100,stroke-width:3px,color:#000`)
    lines.push(`  class ${active.join(',')} ${ACTIVE_CLASS}`)
  }
  return lines.join('\n') + '\n'
}

/** The lines that draw `node`'s child states, their transitions, and its initial state. */
function children (node: AnyStateNode, ids: MermaidIds, indent: string): string[] {
  const states = Object.values(node.states) as AnyStateNode[]
  const lines: string[] = []
  if (node.type === 'compound') {
    for (const target of node.initial.target as AnyStateNode[]) lines.push(`${indent}[*] --> ${ids.of(target)}`)
  }
  states.forEach((child, index) => {
    if (node.type === 'parallel' && index > 0) lines.push(`${indent}--`)
    lines.push(...declare(child, ids, indent))
  })
  for (const child of states) {
    lines.push(...edges(child, ids).map((edge) => indent + edge))
    if (child.type === 'final') lines.push(`${indent}${ids.of(child)} --> [*]`)
  }
  return lines
}

function declare (node: AnyStateNode, ids: MermaidIds, indent: string): string[] {
  const id = ids.of(node)
  const label = node.type === 'history' ? (node.history === 'deep' ? 'H*' : 'H') : node.key
  const head = `${indent}state "${mermaidText(label)}" as ${id}`
  if (node.type === 'compound' || node.type === 'parallel') {
    return [`${head} {`, ...children(node, ids, indent + '  '), `${indent}}`]
  }
  const lines = [head]
  for (const invoked of node.invoke) lines.push(`${indent}${id} : invokes ${mermaidText(actorName(invoked.src))}`)
  return lines
}

function edges (node: AnyStateNode, ids: MermaidIds, from = ids.of(node)): string[] {
  const lines: string[] = []
  const transitions: Transition[] = [...node.transitions.values()].flat()
  for (const transition of [...transitions, ...(node.always ?? [])]) {
    const label = mermaidText(transitionLabel(node, transition))
    for (const target of (transition.target ?? []) as AnyStateNode[]) {
      lines.push(`${from} --> ${ids.of(target)} : ${label}`)
    }
  }
  return lines
}

/** The label of one transition: its event (or delay, done or always), and its guard. */
export function transitionLabel (node: AnyStateNode, transition: Transition): string {
  const guard = guardName(transition.guard)
  return eventLabel(node, transition.eventType) + (guard === undefined ? '' : ` [${guard}]`)
}

function eventLabel (node: AnyStateNode, eventType: string): string {
  if (eventType === '') return 'always'
  const delayed = node.after.find((after) => after.eventType === eventType)
  if (delayed !== undefined) {
    return typeof delayed.delay === 'number' ? `after ${delayed.delay} ms` : `after ${String(delayed.delay)}`
  }
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType)
  if (actor !== null) {
    const invoked = node.invoke.find((definition) => definition.id === actor[2])
    return `${actor[1]}: ${invoked === undefined ? actor[2] : actorName(invoked.src)}`
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done'
  return eventType
}

function guardName (guard: unknown): string | undefined {
  if (guard === undefined) return undefined
  if (typeof guard === 'string') return guard
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type
  }
  return 'guard'
}

/** The actor's name in `setup({ actors })`; inline logic has only a generated one. */
function actorName (src: unknown): string {
  return typeof src === 'string' && !src.startsWith('xstate.invoke.') ? src : 'actor'
}

/** The ids of the active states of `value` that are drawn as boxes: atomic and final ones. */
function highlighted (machine: AnyStateMachine, value: StateValue | undefined, ids: MermaidIds): string[] {
  if (value === undefined) return []
  return activeStateIds(machine, value)
    .map((id) => machine.getStateNodeById(id))
    .filter((node) => node.type === 'atomic' || node.type === 'final')
    .map((node) => ids.of(node))
}
