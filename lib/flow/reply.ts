import type { FlowAction, Session } from '../protocol'
import { InvalidActionError } from '../errors'
import { speak } from './action-creators'

/**
 * What a conversation handler answers with: text to say (`'Hello!'` is
 * `speak('Hello!')`), one action, several in order, or `undefined` for nothing.
 */
export type ConversationReply = string | FlowAction | ReadonlyArray<string | FlowAction> | undefined

/** What a handler written as a function is given. */
export interface ConversationHandlerContext<TEvent> {
  /** The call's session, as the event that opened the call carried it. */
  session: Session
  /** The event being answered. */
  event: TEvent
  /**
   * Consecutive `user_input_timeout`s: for `onTimeout` and `onTooManyTimeouts`
   * including the one being answered; for every other handler the count the
   * event found (speech, a key or a failed transfer then set it back to 0).
   */
  timeouts: number
  /** Our speech or audio is playing: a reply had some, and neither `assistant_speech_ended` nor a `barge_in` has come since. */
  playing: boolean
}

/**
 * A reply given once for all calls, or a function of the moment that returns
 * one (a function that returns nothing replies nothing).
 */
export type ConversationHandler<TEvent> =
  ConversationReply | ((context: ConversationHandlerContext<TEvent>) => ConversationReply | void)

export interface ReplyOptions {
  /** Added to every `speak` made from a plain string, when set. */
  userInputTimeoutSeconds?: number
}

function isList (reply: ConversationReply): reply is ReadonlyArray<string | FlowAction> {
  return Array.isArray(reply)
}

/** A value as an error message shows it: `"text"`, `{"type":"x"}`, `42`, `undefined`, `a function`. */
export function describeValue (value: unknown): string {
  if (typeof value === 'function') return 'a function'
  return typeof value === 'object' || typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/**
 * Turns a reply into the actions to emit. A function's reply is only known
 * at run time, so its shape is checked here: something that is neither text
 * nor an action fails the flow with a message naming the handler.
 */
export function replyActions (name: string, reply: ConversationReply | void, options: ReplyOptions): FlowAction[] {
  if (reply === undefined) return []
  const items = isList(reply) ? reply : [reply]
  return items.map((item) => {
    if (typeof item === 'string') {
      const seconds = options.userInputTimeoutSeconds
      return seconds === undefined ? speak(item) : speak(item, { user_input_timeout_seconds: seconds })
    }
    // Plain JavaScript, or a cast, can hand back anything at all.
    const value: unknown = item
    if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
      throw new InvalidActionError(`${name} replied ${describeValue(value)}; a reply is text, an action, an array of them, or undefined`)
    }
    return item
  })
}

/** Runs a handler: calls it when it is a function, then turns its reply into actions. */
export function runHandler<TEvent> (
  name: string, handler: ConversationHandler<TEvent>, context: ConversationHandlerContext<TEvent>, options: ReplyOptions
): FlowAction[] {
  const reply = typeof handler === 'function' ? handler(context) : handler
  return replyActions(name, reply, options)
}

/** Whether the actions start something the caller hears until `assistant_speech_ended`. */
export function playsSpeech (actions: readonly FlowAction[]): boolean {
  return actions.some((action) => action.type === 'speak' || action.type === 'audio')
}

/** Whether the actions stop what is playing, and start nothing new. */
export function stopsSpeech (actions: readonly FlowAction[]): boolean {
  return actions.some((action) => action.type === 'barge_in') && !playsSpeech(actions)
}
