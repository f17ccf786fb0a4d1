import { assign, enqueueActions } from 'xstate'
import type { FlowAction, Session, UserSpeakEvent } from '../protocol'
import { setupFlow, type FlowEvent } from './setup-flow'
import { playsSpeech, runHandler, stopsSpeech, type ConversationHandler } from './reply'
import {
  resolveConversation, type ConversationHandlers, type ConversationOptions, type ResolvedConversation
} from './conversation-options'

/** What the conversation machine keeps between events: plain JSON, so it can be stored. */
export interface ConversationContext {
  session: Session
  /** `user_input_timeout`s in a row. */
  timeouts: number
  /** Our speech or audio is playing: a reply had some, and neither `assistant_speech_ended` nor a `barge_in` has come since. */
  playing: boolean
}

function answer (conversation: ResolvedConversation, name: keyof ConversationHandlers) {
  return enqueueActions<ConversationContext, FlowEvent, undefined, FlowEvent, never, never, never, never, FlowAction>(({ context, event, enqueue }) => {
    // The machine runs each handler only on the event it is written for.
    const handler = conversation.handlers[name] as ConversationHandler<FlowEvent>
    const { session, timeouts, playing } = context
    const actions = runHandler(name, handler, { session, event, timeouts, playing }, conversation.reply)
    for (const action of actions) enqueue.emit(action)
    if (playsSpeech(actions)) enqueue.assign({ playing: true })
    else if (stopsSpeech(actions)) enqueue.assign({ playing: false })
  })
}

/**
 * A ready-made call flow: greet, answer speech and keys, notice barge-in,
 * count silences, come back from a failed transfer. The author gives only
 * what to say or do in each situation; the result is a plain XState machine
 * (`id: 'conversation'`) for the plugin's `flow` option, Stately's tools and
 * `machine.provide()`.
 *
 * States: `start` waits for `session_start`; `speaking` lasts while our reply
 * plays (until `assistant_speech_ended`, straight on when the reply had no
 * speech); `listening` waits for the caller; `bargeIn` and `timeout` decide
 * and pass on at once; `ended` is final (`session_end`).
 *
 * @example
 * const flow = createConversationFlow({
 *   greeting: 'Welcome to Acme! Press 1 for opening hours.',
 *   onDtmf: ({ event }) => event.digit === '1' ? 'We are open 9 to 5.' : 'Please press 1.',
 *   onUserSpeak: [speak('Please use the keypad.'), hangup()]
 * }, { maxTimeouts: 2, userInputTimeoutSeconds: 8 })
 */
export function createConversationFlow (handlers: ConversationHandlers = {}, options: ConversationOptions = {}) {
  const conversation = resolveConversation(handlers, options)
  return setupFlow({
    types: { context: {} as ConversationContext },
    actions: {
      greet: answer(conversation, 'greeting'),
      greetOutbound: answer(conversation, 'outboundGreeting'),
      answerUserSpeak: answer(conversation, 'onUserSpeak'),
      answerDtmf: answer(conversation, 'onDtmf'),
      answerBargeIn: answer(conversation, 'onBargeIn'),
      answerUserSpeechStarted: answer(conversation, 'onUserSpeechStarted'),
      answerTimeout: answer(conversation, 'onTimeout'),
      answerTooManyTimeouts: answer(conversation, 'onTooManyTimeouts'),
      answerTransferFailed: answer(conversation, 'onTransferFailed'),
      countTimeout: assign({ timeouts: ({ context }) => context.timeouts + 1 }),
      resetTimeouts: assign({ timeouts: 0 }),
      stopPlaying: assign({ playing: false })
    },
    guards: {
      isOutbound: ({ context }) => context.session.direction === 'outbound',
      // Only ever asked about a user_speak event.
      isBargeIn: ({ event }) => (event as UserSpeakEvent).barged_in === true,
      isSilent: ({ context }) => !context.playing,
      tooManyTimeouts: ({ context }) => context.timeouts > conversation.maxTimeouts
    }
  }).createMachine({
    id: 'conversation',
    context: ({ input }) => ({ session: input.session, timeouts: 0, playing: false }),
    initial: 'start',
    // Heard in every state but `ended`; `start` answers session_start itself.
    on: {
      user_speak: [
        { guard: 'isBargeIn', target: '.bargeIn' },
        { target: '.speaking', actions: ['answerUserSpeak', 'resetTimeouts'] }
      ],
      dtmf_received: { target: '.speaking', actions: ['answerDtmf', 'resetTimeouts'] },
      // No transition: the turn goes on until its user_speak. A barge_in it answers with ends the playing.
      user_speech_started: { actions: 'answerUserSpeechStarted' },
      user_input_timeout: { target: '.timeout' },
      // The service sends session_start again when a transfer with a timeout fails.
      session_start: { target: '.speaking', actions: ['answerTransferFailed', 'resetTimeouts'] },
      session_end: { target: '.ended' }
    },
    states: {
      start: {
        on: {
          session_start: [
            { guard: 'isOutbound', target: 'speaking', actions: 'greetOutbound' },
            { target: 'speaking', actions: 'greet' }
          ]
        }
      },
      speaking: {
        // assistant_speak is not awaited: some voices never send it.
        always: { guard: 'isSilent', target: 'listening' },
        on: { assistant_speech_ended: { target: 'listening', actions: 'stopPlaying' } }
      },
      listening: {},
      bargeIn: {
        // The caller's barge-in has already stopped our speech.
        entry: ['stopPlaying', 'answerBargeIn', 'resetTimeouts'],
        always: { target: 'speaking' }
      },
      timeout: {
        // The service only times out after our speech ended.
        entry: ['stopPlaying', 'countTimeout'],
        always: [
          { guard: 'tooManyTimeouts', target: 'speaking', actions: 'answerTooManyTimeouts' },
          { target: 'speaking', actions: 'answerTimeout' }
        ]
      },
      ended: { type: 'final' }
    }
  })
}

/** The machine `createConversationFlow` returns. */
export type ConversationFlow = ReturnType<typeof createConversationFlow>
