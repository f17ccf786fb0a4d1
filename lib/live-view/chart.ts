import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { transitionLabel } from '../tools/mermaid'

/** One transition as the live view draws it. */
export interface ChartTransition {
  label: string
  /** Keys of the target states, as their boxes are titled. */
  targets: string[]
}

/** One state of the flow as the live view draws it: a box holding its child states. */
export interface ChartState {
  /** XState's state node id: what a call's active states are matched against. */
  id: string
  key: string
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history'
  /** The state its parent enters first. */
  initial: boolean
  transitions: ChartTransition[]
  states: ChartState[]
}

/**
 * The flow's states as a tree for the live view's page, which draws them as
 * nested boxes. Transitions carry the same labels as the Mermaid diagram;
 * those that lead nowhere (actions only) are left out, as there.
 */
export function chartOf (machine: AnyStateMachine): ChartState {
  return chartState(machine.root, true)
}

function chartState (node: AnyStateNode, initial: boolean): ChartState {
  const firsts = node.type === 'compound' ? new Set(node.initial.target as AnyStateNode[]) : new Set<AnyStateNode>()
  const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])]
    .filter((transition) => transition.target !== undefined && transition.target.length > 0)
    .map((transition) => ({
      label: transitionLabel(node, transition),
      targets: (transition.target as AnyStateNode[]).map((target) => target.key)
    }))
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    initial,
    transitions,
    states: (Object.values(node.states) as AnyStateNode[]).map((child) => chartState(child, firsts.has(child) || node.type === 'parallel'))
  }
}
