import {
  formatProblems, validateAction,
  type DtmfReceivedEvent, type SessionStartEvent, type UserInputTimeoutEvent, type UserSpeakEvent, type UserSpeechStartedEvent
} from '../protocol'
import { InvalidOptionError } from '../errors'
import { hangup, speak } from './action-creators'
import { describeValue, type ConversationHandler, type ReplyOptions } from './reply'

/**
 * What to say or do in each situation of a call. Each is a reply (text, an
 * action, an array of them, or `undefined` for nothing) or a function of
 * `{ session, event, timeouts }` that returns one. A handler that is not
 * given, or is `undefined`, takes its default; `[]` says nothing on purpose.
 */
export interface ConversationHandlers {
  /** An inbound call starts (`session_start`). Default: nothing. */
  greeting?: ConversationHandler<SessionStartEvent>
  /** An outbound call is answered (`session.direction` is `'outbound'`). Default: `greeting`. */
  outboundGreeting?: ConversationHandler<SessionStartEvent>
  /** The caller said something (`user_speak` without `barged_in`). Default: nothing. */
  onUserSpeak?: ConversationHandler<UserSpeakEvent>
  /** The caller pressed a key (`dtmf_received`). Default: nothing. */
  onDtmf?: ConversationHandler<DtmfReceivedEvent>
  /** The caller talked over our speech (`user_speak` with `barged_in: true`). Default: `onUserSpeak`. */
  onBargeIn?: ConversationHandler<UserSpeakEvent>
  /**
   * The caller started talking (`user_speech_started`, sent on the WebSocket
   * transport only, before any transcript). `playing` says whether our speech
   * is still playing: `({ playing }) => playing ? bargeIn() : undefined` stops
   * it at once. Default: nothing.
   */
  onUserSpeechStarted?: ConversationHandler<UserSpeechStartedEvent>
  /**
   * The caller said nothing (`user_input_timeout`), at most `maxTimeouts`
   * times in a row; `timeouts` is 1 the first time.
   * Default: `'Sorry, I did not hear anything. Are you still there?'`.
   */
  onTimeout?: ConversationHandler<UserInputTimeoutEvent>
  /**
   * The caller said nothing once more than `maxTimeouts` times in a row, and
   * on every further timeout in a row.
   * Default: `'I still cannot hear you, so I will end the call now. Goodbye.'`, then `hangup`.
   */
  onTooManyTimeouts?: ConversationHandler<UserInputTimeoutEvent>
  /**
   * A transfer with a `timeout` was not answered and the call is back
   * (`session_start` again, same session id).
   * Default: `'Sorry, nobody could take your call right now.'`.
   */
  onTransferFailed?: ConversationHandler<SessionStartEvent>
}

export interface ConversationOptions {
  /**
   * How many `user_input_timeout`s in a row `onTimeout` answers; the next one
   * is answered by `onTooManyTimeouts`. Default 2: the third timeout in a row
   * is too many. 0 sends the first timeout to `onTooManyTimeouts`.
   */
  maxTimeouts?: number
  /**
   * When set, every `speak` made from plain text carries
   * `user_input_timeout_seconds` with this value, so the service sends
   * `user_input_timeout` when the caller stays silent. Actions given as
   * objects are sent exactly as they are. Default: not set.
   */
  userInputTimeoutSeconds?: number
}

/** The event each handler answers. */
interface HandlerEvents {
  greeting: SessionStartEvent
  outboundGreeting: SessionStartEvent
  onUserSpeak: UserSpeakEvent
  onDtmf: DtmfReceivedEvent
  onBargeIn: UserSpeakEvent
  onUserSpeechStarted: UserSpeechStartedEvent
  onTimeout: UserInputTimeoutEvent
  onTooManyTimeouts: UserInputTimeoutEvent
  onTransferFailed: SessionStartEvent
}

/** Every handler after fallbacks and defaults; one without a default may still be undefined. */
export type ResolvedHandlers = { [K in keyof HandlerEvents]: ConversationHandler<HandlerEvents[K]> }

export interface ResolvedConversation {
  handlers: ResolvedHandlers
  maxTimeouts: number
  reply: ReplyOptions
}

/** The replies of the handlers an author does not give, where there is one. */
export const conversationDefaults = {
  onTimeout: 'Sorry, I did not hear anything. Are you still there?',
  onTooManyTimeouts: [speak('I still cannot hear you, so I will end the call now. Goodbye.'), hangup()],
  onTransferFailed: 'Sorry, nobody could take your call right now.'
} satisfies ConversationHandlers

const handlerNames: ReadonlyArray<keyof ConversationHandlers> = [
  'greeting', 'outboundGreeting', 'onUserSpeak', 'onDtmf', 'onBargeIn', 'onUserSpeechStarted', 'onTimeout', 'onTooManyTimeouts',
  'onTransferFailed'
]
const optionNames: ReadonlyArray<keyof ConversationOptions> = ['maxTimeouts', 'userInputTimeoutSeconds']

function fail (message: string): never {
  throw new InvalidOptionError(`createConversationFlow ${message}`)
}

function checkKeys (value: unknown, known: readonly string[], what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what}s must be an object, got ${describeValue(value)}`)
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`has no ${what} ${key}; the ${what}s are ${known.join(', ')}`)
  }
}

/** A reply given as a value is checked now, so that a mistake shows at start-up, not in a call. */
function checkReply (name: string, handler: unknown): void {
  if (handler === undefined || typeof handler === 'function') return
  const items: unknown[] = Array.isArray(handler) ? handler : [handler]
  items.forEach((item, index) => {
    const action = typeof item === 'string' ? speak(item) : item
    const result = validateAction(typeof action === 'object' ? { ...action, session_id: 'check' } : action)
    const root = Array.isArray(handler) ? `${name}/${index}` : name
    if (!result.ok) fail(`${root} is not a valid reply: ${formatProblems(result.problems, root)}`)
  })
}

function checkMaxTimeouts (value: unknown): number {
  if (value === undefined) return 2
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`maxTimeouts must be a non-negative integer, got ${describeValue(value)}`)
  return value
}

function checkSeconds (value: unknown): number | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value) && value > 0)) return value
  fail(`userInputTimeoutSeconds must be a positive number of seconds, got ${describeValue(value)}`)
}

/** Checks what the author gave and fills in the fallbacks and defaults. */
export function resolveConversation (handlers: ConversationHandlers, options: ConversationOptions): ResolvedConversation {
  checkKeys(handlers, handlerNames, 'handler')
  checkKeys(options, optionNames, 'option')
  for (const name of handlerNames) checkReply(name, handlers[name])
  return {
    handlers: {
      greeting: handlers.greeting,
      outboundGreeting: handlers.outboundGreeting ?? handlers.greeting,
      onUserSpeak: handlers.onUserSpeak,
      onDtmf: handlers.onDtmf,
      onBargeIn: handlers.onBargeIn ?? handlers.onUserSpeak,
      onUserSpeechStarted: handlers.onUserSpeechStarted,
      onTimeout: handlers.onTimeout ?? conversationDefaults.onTimeout,
      onTooManyTimeouts: handlers.onTooManyTimeouts ?? conversationDefaults.onTooManyTimeouts,
      onTransferFailed: handlers.onTransferFailed ?? conversationDefaults.onTransferFailed
    },
    maxTimeouts: checkMaxTimeouts(options.maxTimeouts),
    reply: { userInputTimeoutSeconds: checkSeconds(options.userInputTimeoutSeconds) }
  }
}
