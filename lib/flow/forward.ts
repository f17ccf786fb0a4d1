import { sendTo, type AnyTransitionConfig } from 'xstate'
import type { FlowEvent } from './setup-flow'
import type { FlowFragment } from './fragments/fragment'

/** Transitions that fit in the `on` of any state of a flow made with `setupFlow`. */
export type ForwardingTransitions<T extends FlowEvent['type']> = Pick<NonNullable<FlowFragment['on']>, T>

/**
 * Transitions that pass events of the given types on to an invoked child,
 * unchanged. XState delivers an event to the machine that receives it, not
 * to its children: a parent that invokes a machine handling calls must hand
 * it the events it needs. A child's own `emit` does not reach the caller:
 * only the flow's root actor speaks, so let the child return its result as
 * output and let the parent say it.
 *
 * @example
 * // with setupFlow({ actors: { pinReader } })
 * collecting: {
 *   invoke: { id: 'pin', src: 'pinReader', onDone: 'check' },
 *   on: forwardEvents('pin', 'dtmf_received', 'user_input_timeout')
 * }
 */
export function forwardEvents<T extends FlowEvent['type']> (childId: string, ...types: T[]): ForwardingTransitions<T> {
  const forward: AnyTransitionConfig = { actions: sendTo(childId, ({ event }) => event) }
  return Object.fromEntries(types.map((type) => [type, forward])) as ForwardingTransitions<T>
}
