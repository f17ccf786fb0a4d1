import t from 'tap'
import { bargeIn, createConversationFlow, hangup, speak, type ConversationHandlers, type ConversationOptions } from '../../lib/flow'
import { conversationDefaults, resolveConversation } from '../../lib/flow/conversation-options'

const prefix = 'Invalid fastify-ai-flow option: createConversationFlow '

t.test('handlers that are not given fall back, or take the documented default', async (t) => {
  const greeting = 'Hello!'
  const onUserSpeak = (): string => 'Yes?'

  const { handlers, maxTimeouts, reply } = resolveConversation({ greeting, onUserSpeak }, {})

  t.same(handlers, {
    greeting,
    outboundGreeting: greeting,
    onUserSpeak,
    onDtmf: undefined,
    onBargeIn: onUserSpeak,
    onUserSpeechStarted: undefined,
    onTimeout: 'Sorry, I did not hear anything. Are you still there?',
    onTooManyTimeouts: [speak('I still cannot hear you, so I will end the call now. Goodbye.'), hangup()],
    onTransferFailed: 'Sorry, nobody could take your call right now.'
  })
  t.equal(maxTimeouts, 2)
  t.same(reply, { userInputTimeoutSeconds: undefined })
  t.equal(handlers.onTimeout, conversationDefaults.onTimeout)
})

t.test('handlers that are given win over fallbacks and defaults', async (t) => {
  const given: Required<ConversationHandlers> = {
    greeting: 'a',
    outboundGreeting: 'b',
    onUserSpeak: 'c',
    onDtmf: 'd',
    onBargeIn: 'e',
    onUserSpeechStarted: bargeIn(),
    onTimeout: 'f',
    onTooManyTimeouts: 'g',
    onTransferFailed: 'h'
  }

  t.same(resolveConversation(given, { maxTimeouts: 0, userInputTimeoutSeconds: 7.5 }), {
    handlers: given,
    maxTimeouts: 0,
    reply: { userInputTimeoutSeconds: 7.5 }
  })
})

t.test('createConversationFlow() with nothing at all is a valid flow', async (t) => {
  t.equal(createConversationFlow().id, 'conversation')
})

const wrongHandlers: Array<[string, unknown, RegExp]> = [
  ['handlers that are not an object', null, /handlers must be an object, got null/],
  ['handlers given as an array', ['Hello!'], /handlers must be an object, got \["Hello!"\]/],
  ['a misspelt handler', { onDTMF: 'x' }, /has no handler onDTMF; the handlers are greeting, outboundGreeting, onUserSpeak, onDtmf, onBargeIn, onUserSpeechStarted, onTimeout, onTooManyTimeouts, onTransferFailed/],
  ['an empty text', { greeting: '' }, /greeting is not a valid reply: greeting\/text must not be empty/],
  ['a number', { onDtmf: 42 }, /onDtmf is not a valid reply: onDtmf must be an object/],
  ['null', { onTimeout: null }, /onTimeout is not a valid reply: onTimeout\/type must be one of speak, audio/],
  ['an invalid action', { onTransferFailed: { type: 'transfer', target_phone_number: '123' } }, /onTransferFailed is not a valid reply: onTransferFailed\/caller_id_name is required/],
  ['an invalid item of an array', { onTooManyTimeouts: ['Goodbye.', { type: 'hang_up' }] }, /onTooManyTimeouts\/1 is not a valid reply: onTooManyTimeouts\/1\/type must be one of/],
  ['an unknown action', { onBargeIn: { type: 'dance' } }, /onBargeIn is not a valid reply/]
]

for (const [name, handlers, message] of wrongHandlers) {
  t.test(`a wrong handler throws at creation: ${name}`, async (t) => {
    t.throws(() => createConversationFlow(handlers as ConversationHandlers), { code: 'FST_AIFLOW_INVALID_OPTION', message })
  })
}

const wrongOptions: Array<[string, unknown, RegExp]> = [
  ['options that are not an object', 'fast', /options must be an object, got "fast"/],
  ['an unknown option', { maxTimeout: 3 }, /has no option maxTimeout; the options are maxTimeouts, userInputTimeoutSeconds/],
  ['a negative maxTimeouts', { maxTimeouts: -1 }, /maxTimeouts must be a non-negative integer, got -1/],
  ['a fractional maxTimeouts', { maxTimeouts: 1.5 }, /maxTimeouts must be a non-negative integer, got 1.5/],
  ['maxTimeouts as text', { maxTimeouts: '2' }, /maxTimeouts must be a non-negative integer, got "2"/],
  ['a zero userInputTimeoutSeconds', { userInputTimeoutSeconds: 0 }, /userInputTimeoutSeconds must be a positive number of seconds, got 0/],
  ['an endless userInputTimeoutSeconds', { userInputTimeoutSeconds: Infinity }, /userInputTimeoutSeconds must be a positive number of seconds, got Infinity/],
  ['userInputTimeoutSeconds as a function', { userInputTimeoutSeconds: () => 8 }, /userInputTimeoutSeconds must be a positive number of seconds, got a function/],
  ['userInputTimeoutSeconds as text', { userInputTimeoutSeconds: '8' }, /userInputTimeoutSeconds must be a positive number of seconds, got "8"/]
]

for (const [name, options, message] of wrongOptions) {
  t.test(`a wrong option throws at creation: ${name}`, async (t) => {
    t.throws(() => createConversationFlow({}, options as ConversationOptions), { code: 'FST_AIFLOW_INVALID_OPTION', message: new RegExp(prefix + message.source) })
  })
}

t.test('function handlers are only checked when they reply', async (t) => {
  t.doesNotThrow(() => createConversationFlow({ greeting: () => '' }))
})
