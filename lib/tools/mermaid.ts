import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate'
import { fragmentOf } from '../flow/fragments/exits'
import { activeStateIds } from './state-value'
import { MermaidIds, mermaidText } from './mermaid-text'
import { actorName, transitionLabel, type Transition } from './mermaid-labels'

export { transitionLabel, guardName } from './mermaid-labels'

export interface MermaidOptions {
  /** A state value (as `snapshot.value` gives it): its active states are drawn highlighted. */
  highlight?: StateValue
  /** Diagram direction. Default `TB` (top to bottom). */
  direction?: 'TB' | 'LR'
  /**
   * Draw the inside of fragments (`prompt`, `menu`, `collectDigits`): their
   * listening and reprompt states. Default false: each fragment is one box
   * with its exits.
   */
  expand?: boolean
}

/** The class highlighted states get; the live view styles it too. */
export const ACTIVE_CLASS = 'active'

const ANY_STATE = 'any_state'

const FRAGMENT_NAMES = { prompt: 'prompt', menu: 'menu', collectDigits: 'collect digits', agent: 'agent' } as const

/**
 * How one diagram is drawn: the ids, which states stand for their whole
 * inside, and the transition lines each block holds.
 */
interface Drawing {
  ids: MermaidIds
  expand: boolean
  /** The lines written at the end of a block, by the state whose block it is. */
  hosted: Map<AnyStateNode, string[]>
}

/**
 * The flow as a Mermaid `stateDiagram-v2`: every state (nested and parallel
 * ones included), initial and final states, and every transition that leads
 * somewhere, labelled with its event, guard, delay or invoked actor, and a
 * fragment's exits with what they mean (`small`, `no input ×2`, …).
 * Fragments are one box each unless `expand` is set. Transitions of the
 * machine itself (taken whatever the state) start from a pseudo-state named
 * "any state".
 *
 * @example
 * process.stdout.write(toMermaid(flow, { highlight: actor.getSnapshot().value }))
 */
export function toMermaid (machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const drawing: Drawing = { ids: new MermaidIds([ANY_STATE]), expand: options.expand === true, hosted: new Map() }
  const lines = ['stateDiagram-v2', `  direction ${options.direction ?? 'TB'}`]
  const root = machine.root
  const rootEdges = edges(root, drawing, ANY_STATE)
  if (rootEdges.length > 0) lines.push(`  state "any state" as ${ANY_STATE}`)
  name(root, drawing)
  host(root, drawing)
  lines.push(...children(root, drawing, '  '))
  lines.push(...rootEdges.map((edge) => `  ${edge}`))
  if (rootEdges.length > 0) lines.push('  classDef anyState stroke-dasharray: 4 4', `  class ${ANY_STATE} anyState`)
  const active = highlighted(machine, options.highlight, drawing)
  if (active.length > 0) {
    lines.push(`  classDef ${ACTIVE_CLASS} fill:#ffd54f,stroke:#e65100,stroke-width:3px,color:#000`)
    lines.push(`  class ${active.join(',')} ${ACTIVE_CLASS}`)
  }
  return lines.join('\n') + '\n'
}

/** The node drawn for `node`: itself, or the outermost collapsed fragment it is part of. */
function box (node: AnyStateNode, drawing: Drawing): AnyStateNode {
  let drawn = node
  if (drawing.expand) return drawn
  for (let parent: AnyStateNode | undefined = node; parent !== undefined; parent = parent.parent) {
    if (fragmentOf(parent) !== undefined) drawn = parent
  }
  return drawn
}

function drawnInside (node: AnyStateNode, drawing: Drawing): boolean {
  return (node.type === 'compound' || node.type === 'parallel') && (drawing.expand || fragmentOf(node) === undefined)
}

/**
 * The block a transition between `from` and `to` is written in: the deepest
 * state around both that is not parallel. Mermaid declares a state where it is
 * first named, and reads everything after a region separator (`--`) as part
 * of the next region, so a line that leaves its block or sits in a parallel
 * block draws the wrong picture or none at all.
 */
function blockOf (from: AnyStateNode, to: AnyStateNode): AnyStateNode {
  const around = new Set<AnyStateNode>()
  for (let node = to.parent; node !== undefined; node = node.parent) around.add(node)
  let block = from.parent as AnyStateNode
  while (!around.has(block) || block.type === 'parallel') block = block.parent as AnyStateNode
  return block
}

/** Names the drawn states in the order they are declared, so that ids stay the same whichever line names them first. */
function name (node: AnyStateNode, drawing: Drawing): void {
  if (node.type === 'compound') for (const target of node.initial.target as AnyStateNode[]) drawing.ids.of(target)
  for (const child of Object.values(node.states) as AnyStateNode[]) {
    drawing.ids.of(child)
    if (drawnInside(child, drawing)) name(child, drawing)
  }
}

/** Files the transition lines of every drawn state under the block they are written in. */
function host (node: AnyStateNode, drawing: Drawing): void {
  const put = (block: AnyStateNode, line: string): void => {
    drawing.hosted.set(block, [...(drawing.hosted.get(block) ?? []), line])
  }
  for (const child of Object.values(node.states) as AnyStateNode[]) {
    for (const { to, line } of edgesOf(child, drawing)) put(blockOf(child, to), line)
    if (child.type === 'final') put(blockOf(child, child), `${drawing.ids.of(child)} --> [*]`)
    if (drawnInside(child, drawing)) host(child, drawing)
  }
}

/** The lines that draw `node`'s child states, its initial state, and the transitions its block holds. */
function children (node: AnyStateNode, drawing: Drawing, indent: string): string[] {
  const { ids } = drawing
  const states = Object.values(node.states) as AnyStateNode[]
  const lines: string[] = []
  if (node.type === 'compound') {
    for (const target of node.initial.target as AnyStateNode[]) lines.push(`${indent}[*] --> ${ids.of(target)}`)
  }
  states.forEach((child, index) => {
    if (node.type === 'parallel' && index > 0) lines.push(`${indent}--`)
    lines.push(...declare(child, drawing, indent))
  })
  lines.push(...(drawing.hosted.get(node) ?? []).map((line) => indent + line))
  return lines
}

function declare (node: AnyStateNode, drawing: Drawing, indent: string): string[] {
  const id = drawing.ids.of(node)
  const label = node.type === 'history' ? (node.history === 'deep' ? 'H*' : 'H') : node.key
  const head = `${indent}state "${mermaidText(label)}" as ${id}`
  const fragment = fragmentOf(node)
  if (fragment !== undefined && !drawing.expand) return [head, `${indent}${id} : ${FRAGMENT_NAMES[fragment]}`]
  if (drawnInside(node, drawing)) {
    return [`${head} {`, ...children(node, drawing, indent + '  '), `${indent}}`]
  }
  const lines = [head]
  for (const invoked of node.invoke) lines.push(`${indent}${id} : invokes ${mermaidText(actorName(invoked.src))}`)
  return lines
}

/** Each transition of `node` that leads somewhere, with the drawn state it leads to. */
function edgesOf (node: AnyStateNode, drawing: Drawing, from = drawing.ids.of(node)): Array<{ to: AnyStateNode, line: string }> {
  const found: Array<{ to: AnyStateNode, line: string }> = []
  const transitions: Transition[] = [...node.transitions.values()].flat()
  for (const transition of [...transitions, ...(node.always ?? [])]) {
    const label = mermaidText(transitionLabel(node, transition))
    for (const target of (transition.target ?? []) as AnyStateNode[]) {
      const to = box(target, drawing)
      found.push({ to, line: `${from} --> ${drawing.ids.of(to)} : ${label}` })
    }
  }
  return found
}

function edges (node: AnyStateNode, drawing: Drawing, from?: string): string[] {
  return edgesOf(node, drawing, from).map(({ line }) => line)
}

/** The ids of the active states of `value` that are drawn as boxes: atomic and final ones, or the fragment around them. */
function highlighted (machine: AnyStateMachine, value: StateValue | undefined, drawing: Drawing): string[] {
  if (value === undefined) return []
  const ids = activeStateIds(machine, value)
    .map((id) => machine.getStateNodeById(id))
    .filter((node) => node.type === 'atomic' || node.type === 'final')
    .map((node) => drawing.ids.of(box(node, drawing)))
  return [...new Set(ids)]
}
