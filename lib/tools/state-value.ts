import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate'

/**
 * The ids of every state node a state value makes active, parents first:
 * `{ booking: 'askDate' }` gives the ids of `booking` and `booking.askDate`.
 * Keys the machine does not have are skipped, so a value from an older
 * version of the flow highlights what still exists.
 */
export function activeStateIds (machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = []
  collect(machine.root, value, ids)
  return ids
}

function collect (node: AnyStateNode, value: unknown, ids: string[]): void {
  if (typeof value === 'string') {
    const child = node.states[value] as AnyStateNode | undefined
    if (child !== undefined) ids.push(child.id)
    return
  }
  if (typeof value !== 'object' || value === null) return
  for (const [key, inner] of Object.entries(value)) {
    const child = node.states[key] as AnyStateNode | undefined
    if (child === undefined) continue
    ids.push(child.id)
    collect(child, inner, ids)
  }
}
