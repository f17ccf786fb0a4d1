import type { AnyStateMachine, StateValue } from 'xstate'
import type { CallView } from '../sessions'
import { activeStateIds } from '../tools/state-value'

/** One call as the live view's page shows it. */
export interface LiveCall {
  id: string
  status: CallView['status']
  direction: 'inbound' | 'outbound' | undefined
  /** The other party's number, all but its last three digits hidden. */
  party: string | undefined
  /** XState ids of every active state, parents first: the boxes to highlight. */
  active: string[]
  /** The active leaf states as dotted paths, for the list. */
  states: string[]
  startedAt: number
  lastEventAt: number
}

/** Hides a phone number but its last three digits: the page is for operators, not a phone book. */
export function maskNumber (number: string | undefined): string | undefined {
  if (number === undefined) return undefined
  return '•••' + number.slice(-3)
}

/** What the page needs of one call; nothing of its context is sent. */
export function liveCall (view: CallView, machine: AnyStateMachine): LiveCall {
  const active = view.state === undefined ? [] : activeStateIds(machine, view.state as StateValue)
  const nodes = active.map((id) => machine.getStateNodeById(id))
  const direction = view.session.direction
  return {
    id: view.id,
    status: view.status,
    direction,
    party: maskNumber(direction === 'outbound' ? view.session.to_phone_number : view.session.from_phone_number),
    active,
    states: nodes.filter((node) => Object.keys(node.states).length === 0).map((node) => node.path.join('.')),
    startedAt: view.startedAt,
    lastEventAt: view.lastEventAt
  }
}
