import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { targetsOf, transitionsOf } from './xstate-parts'

/**
 * The states a flow can enter at all, by its structure alone: the root,
 * initial states (every region of a parallel state), the targets of every
 * transition of a state that is reached, and the states above them. Guards
 * are taken as able to pass.
 */
export function reachableStates (machine: AnyStateMachine): Set<AnyStateNode> {
  const reached = new Set<AnyStateNode>()
  const pending: AnyStateNode[] = []
  const mark = (node: AnyStateNode): void => {
    if (reached.has(node)) return
    reached.add(node)
    pending.push(node)
    if (node.parent !== undefined) mark(node.parent)
  }
  const enter = (node: AnyStateNode): void => {
    mark(node)
    if (node.type === 'compound') for (const child of node.initial.target as AnyStateNode[]) enter(child)
    if (node.type === 'parallel') for (const child of Object.values(node.states)) enter(child)
  }
  enter(machine.root)
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    for (const { transition } of transitionsOf(node)) targetsOf(transition).forEach(enter)
  }
  return reached
}
