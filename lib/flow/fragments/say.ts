import { emit } from 'xstate'
import { speak, type SpeakFlowAction } from '../action-creators'
import type { AnyFlowTypes, FlowTypes } from './fragment'

/**
 * What a fragment says: a text, a `speak(...)` action, or a function of the
 * flow's context and the current event that returns either.
 */
export type Say<F extends AnyFlowTypes = FlowTypes> = string | SpeakFlowAction | ((args: { context: F['context'], event: F['event'] }) => string | SpeakFlowAction)

/** A {@link Say} as fragments handle it inside. */
export type AnySay = string | SpeakFlowAction | ((args: { context: never, event: never }) => string | SpeakFlowAction)

/**
 * Turns a {@link Say} into a `speak` action that asks the service for a
 * `user_input_timeout` after `timeout` seconds of silence, unless the action
 * already sets its own.
 */
export function toSpeak (value: string | SpeakFlowAction, timeout: number | undefined): SpeakFlowAction {
  const action = typeof value === 'string' ? speak(value) : value
  if (timeout === undefined || action.user_input_timeout_seconds !== undefined) return action
  return { ...action, user_input_timeout_seconds: timeout }
}

/** The XState action that says `say`. */
export function sayAction (say: AnySay, timeout: number | undefined) {
  return emit((args: { context: never, event: never }) => toSpeak(typeof say === 'function' ? say(args) : say, timeout))
}
