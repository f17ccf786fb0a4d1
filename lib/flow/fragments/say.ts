import { emit } from 'xstate'
import { speak, type SpeakFlowAction } from '../action-creators'

/**
 * What a fragment says: a text, a `speak(...)` action, or a function of the
 * flow's context and the current event that returns either.
 */
export type Say = string | SpeakFlowAction | ((args: { context: any, event: any }) => string | SpeakFlowAction)

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
export function sayAction (say: Say, timeout: number | undefined) {
  return emit((args: { context: any, event: any }) => toSpeak(typeof say === 'function' ? say(args) : say, timeout))
}
