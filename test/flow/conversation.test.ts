import t from 'tap'
import { example } from '../fixtures/helpers'
import { createActor, type InspectionEvent, type StateValue } from 'xstate'
import {
  audio, createConversationFlow, hangup, mixAudio, speak, transfer,
  type ConversationHandlers, type ConversationOptions, type ConversationHandlerContext
} from '../../lib/flow'
import type { DtmfReceivedEvent, FlowAction, Session, UserSpeakEvent } from '../../lib/protocol'

/** The documented session of an inbound call, from the service's own example. */
const session: Session = example('event-session_start').session
const wav = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA='

/**
 * One call of the conversation flow, driven event by event. `send` returns
 * what the flow emitted for that event; `visited` the states it went
 * through, transient ones included.
 */
function startCall (handlers: ConversationHandlers = {}, options: ConversationOptions = {}, callSession: Session = session) {
  const flow = createConversationFlow(handlers, options)
  const steps: StateValue[] = []
  const inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.microstep') steps.push((event.snapshot as unknown as { value: StateValue }).value)
  }
  const actor = createActor(flow, { input: { session: callSession }, inspect })
  const emitted: FlowAction[] = []
  actor.on('*', (action) => { emitted.push(action) })
  // As the plugin does: a failed flow is reported, not thrown at the process.
  actor.subscribe({ error: () => {} })
  actor.start()
  return {
    flow,
    actor,
    visited: steps,
    send (type: string, fields: Record<string, unknown> = {}): FlowAction[] {
      emitted.length = 0
      steps.length = 0
      actor.send({ type, session: callSession, ...fields } as never)
      return [...emitted]
    },
    get state (): StateValue { return actor.getSnapshot().value },
    get context () { return actor.getSnapshot().context }
  }
}

/** A call that has been greeted and heard the greeting to its end. */
function listeningCall (handlers: ConversationHandlers = {}, options: ConversationOptions = {}) {
  const call = startCall({ greeting: 'Hello!', ...handlers }, options)
  call.send('session_start')
  call.send('assistant_speech_ended')
  return call
}

t.test('a new call waits in start with nothing counted and nothing playing', async (t) => {
  const call = startCall()

  t.equal(call.flow.id, 'conversation')
  t.equal(call.state, 'start')
  t.same(call.context, { session, timeouts: 0, playing: false })
})

t.test('start: session_start greets and speaks until assistant_speech_ended, then listens', async (t) => {
  const call = startCall({ greeting: 'Welcome to Acme!' })

  const greeting = call.send('session_start')
  t.same(greeting, [speak('Welcome to Acme!')])
  t.equal(call.state, 'speaking')
  t.equal(call.context.playing, true)

  t.same(call.send('assistant_speech_ended'), [], 'the end of our speech needs no reply')
  t.equal(call.state, 'listening')
  t.equal(call.context.playing, false)
})

t.test('start: without a greeting the call says nothing and listens at once', async (t) => {
  const call = startCall()

  t.same(call.send('session_start'), [])
  t.same(call.visited, ['speaking', 'listening'], 'speaking with nothing playing passes straight on')
})

t.test('start: an outbound call gets the outbound greeting', async (t) => {
  const outbound = { ...session, direction: 'outbound' as const }
  const call = startCall({ greeting: 'Hello!', outboundGreeting: 'Hello, this is Acme calling.' }, {}, outbound)

  t.same(call.send('session_start'), [speak('Hello, this is Acme calling.')])
})

t.test('start: an outbound call falls back to the greeting', async (t) => {
  const outbound = { ...session, direction: 'outbound' as const }
  const call = startCall({ greeting: ({ session }) => `Hello, ${session.to_phone_number}.` }, {}, outbound)

  t.same(call.send('session_start'), [speak('Hello, +1234567890.')])
})

t.test('start: an inbound call, or one with no direction, gets the greeting even when an outbound one exists', async (t) => {
  const handlers = { greeting: 'Hello!', outboundGreeting: 'Hello, this is Acme calling.' }
  const { direction: _, ...undirected } = session

  t.same(startCall(handlers).send('session_start'), [speak('Hello!')])
  t.same(startCall(handlers, {}, undirected).send('session_start'), [speak('Hello!')])
})

t.test('a handler can be text, an action, an array, a function or undefined', async (t) => {
  const forms: Array<[string, ConversationHandlers['onDtmf'], FlowAction[]]> = [
    ['text', 'You pressed a key.', [speak('You pressed a key.')]],
    ['an action', hangup(), [hangup()]],
    ['an array of text and actions', ['Transferring you.', transfer({ target_phone_number: '123', caller_id_name: 'Acme', caller_id_number: '456' })],
      [speak('Transferring you.'), transfer({ target_phone_number: '123', caller_id_name: 'Acme', caller_id_number: '456' })]],
    ['a function returning text', ({ event }) => `You pressed ${event.digit}.`, [speak('You pressed 5.')]],
    ['a function returning an array', () => [speak({ ssml: '<speak>Bye</speak>' }), hangup()], [speak({ ssml: '<speak>Bye</speak>' }), hangup()]],
    ['a function returning undefined', () => undefined, []],
    ['undefined', undefined, []],
    ['an empty array', [], []]
  ]
  for (const [name, onDtmf, expected] of forms) {
    const call = listeningCall({ onDtmf })
    t.same(call.send('dtmf_received', { digit: '5' }), expected, name)
  }
})

t.test('a function handler gets the session, the typed event and the timeout count', async (t) => {
  const seen: Array<ConversationHandlerContext<DtmfReceivedEvent>> = []
  const call = listeningCall({ onDtmf: (context) => { seen.push(context) } })
  call.send('user_input_timeout')

  call.send('dtmf_received', { digit: '#' })

  t.same(seen, [{ session, event: { type: 'dtmf_received', digit: '#', session }, timeouts: 1, playing: true }], 'the timeout\'s reprompt is playing')
  t.equal(call.context.timeouts, 0, 'and the key press resets the count afterwards')
})

t.test('userInputTimeoutSeconds goes on every speak made from text, never on actions given as objects', async (t) => {
  const call = startCall({ greeting: ['Hello!', speak('Press a key.'), 'Or say something.'] }, { userInputTimeoutSeconds: 6 })

  t.same(call.send('session_start'), [
    speak('Hello!', { user_input_timeout_seconds: 6 }),
    speak('Press a key.'),
    speak('Or say something.', { user_input_timeout_seconds: 6 })
  ])
})

t.test('speaking: audio counts as playing; actions that play nothing do not', async (t) => {
  const played = listeningCall({ onDtmf: audio(wav) })
  played.send('dtmf_received', { digit: '1' })
  t.equal(played.state, 'speaking')

  const silent = listeningCall({ onDtmf: [mixAudio({ stop: true }), hangup()] })
  silent.send('dtmf_received', { digit: '1' })
  t.equal(silent.state, 'listening')
})

t.test('speaking: speech or a key that gets no reply leaves our speech playing', async (t) => {
  const call = startCall({ greeting: 'A long welcome…' })
  call.send('session_start')

  t.same(call.send('user_speak', { text: 'hm' }), [])
  t.equal(call.state, 'speaking')
  t.same(call.send('dtmf_received', { digit: '3' }), [])
  t.equal(call.state, 'speaking')
})

t.test('listening: user_speak runs onUserSpeak with the typed event, speaks, and resets the count', async (t) => {
  const heard: UserSpeakEvent[] = []
  const call = listeningCall({ onUserSpeak: ({ event }) => { heard.push(event); return `You said ${event.text}.` } })
  call.send('user_input_timeout')
  call.send('assistant_speech_ended')

  t.same(call.send('user_speak', { text: 'hours', barged_in: false }), [speak('You said hours.')])
  t.same(heard, [{ type: 'user_speak', text: 'hours', barged_in: false, session }])
  t.equal(call.state, 'speaking')
  t.equal(call.context.timeouts, 0)
})

t.test('start: speech or a key before session_start is answered, and the call goes on', async (t) => {
  const spoken = startCall({ greeting: 'Hello!', onUserSpeak: 'Yes?' })
  t.same(spoken.send('user_speak', { text: 'hello?' }), [speak('Yes?')])
  t.equal(spoken.state, 'speaking')

  const pressed = startCall({ greeting: 'Hello!', onDtmf: 'A key.' })
  t.same(pressed.send('dtmf_received', { digit: '0' }), [speak('A key.')])
  t.equal(pressed.state, 'speaking')
})

t.test('bargeIn: the caller talks over us; onBargeIn answers from the bargeIn state', async (t) => {
  const call = startCall({ greeting: 'A long welcome…', onBargeIn: ({ event }) => `Sorry. You said ${event.text}?`, onUserSpeak: 'unused' })
  call.send('session_start')

  t.same(call.send('user_speak', { text: 'agent', barged_in: true }), [speak('Sorry. You said agent?')])
  t.same(call.visited, ['bargeIn', 'speaking'])
  t.equal(call.context.playing, true)
})

t.test('bargeIn: the playing flag is cleared before the handler, so no reply means listening', async (t) => {
  const call = startCall({ greeting: 'A long welcome…', onBargeIn: undefined })
  call.send('session_start')

  t.same(call.send('user_speak', { text: 'stop', barged_in: true }), [])
  t.same(call.visited, ['bargeIn', 'speaking', 'listening'])
  t.equal(call.context.playing, false)
})

t.test('bargeIn: falls back to onUserSpeak and resets the count', async (t) => {
  const call = listeningCall({ onUserSpeak: ({ event, timeouts }) => `${event.text} after ${timeouts} timeouts` })
  call.send('user_input_timeout')

  t.same(call.send('user_speak', { text: 'hello', barged_in: true }), [speak('hello after 1 timeouts')])
  t.equal(call.context.timeouts, 0)
})

t.test('timeout: onTimeout gets the count; the one after maxTimeouts goes to onTooManyTimeouts', async (t) => {
  const call = listeningCall({
    onTimeout: ({ timeouts }) => `Are you there? (${timeouts})`,
    onTooManyTimeouts: ({ timeouts }) => [`Goodbye after ${timeouts}.`, hangup()]
  })

  t.same(call.send('user_input_timeout'), [speak('Are you there? (1)')])
  t.same(call.visited, ['timeout', 'speaking'])
  call.send('assistant_speech_ended')
  t.same(call.send('user_input_timeout'), [speak('Are you there? (2)')])
  call.send('assistant_speech_ended')
  t.same(call.send('user_input_timeout'), [speak('Goodbye after 3.'), hangup()], 'the third in a row is too many by default')
  t.same(call.send('user_input_timeout'), [speak('Goodbye after 4.'), hangup()], 'and so is every further one')
})

t.test('timeout: maxTimeouts sets how many onTimeout answers', async (t) => {
  const handlers = { onTimeout: 'Hello?', onTooManyTimeouts: 'Too many.' }

  const none = listeningCall(handlers, { maxTimeouts: 0 })
  t.same(none.send('user_input_timeout'), [speak('Too many.')])

  const one = listeningCall(handlers, { maxTimeouts: 1 })
  t.same(one.send('user_input_timeout'), [speak('Hello?')])
  t.same(one.send('user_input_timeout'), [speak('Too many.')])
})

t.test('timeout: speech, a key, a barge-in or a failed transfer start the count again', async (t) => {
  const handlers = { onTimeout: ({ timeouts }: { timeouts: number }) => `timeout ${timeouts}` }
  const resets: Array<[string, Record<string, unknown>]> = [
    ['user_speak', { text: 'yes' }],
    ['dtmf_received', { digit: '1' }],
    ['user_speak', { text: 'yes', barged_in: true }],
    ['session_start', {}]
  ]
  for (const [type, fields] of resets) {
    const call = listeningCall(handlers, { maxTimeouts: 1 })
    call.send('user_input_timeout')
    call.send(type, fields)
    t.same(call.send('user_input_timeout'), [speak('timeout 1')], `after ${type} ${JSON.stringify(fields)}`)
  }
})

t.test('timeout: a timeout while we think we are speaking means our speech ended', async (t) => {
  const call = startCall({ greeting: 'Hello!', onTimeout: [] })
  call.send('session_start')

  t.same(call.send('user_input_timeout'), [])
  t.same(call.visited, ['timeout', 'speaking', 'listening'])
})

t.test('defaults: a reprompt, then a goodbye and hangup, and an apology after a failed transfer', async (t) => {
  const call = listeningCall({}, { userInputTimeoutSeconds: 5 })

  t.same(call.send('user_input_timeout'), [speak('Sorry, I did not hear anything. Are you still there?', { user_input_timeout_seconds: 5 })])
  call.send('user_input_timeout')
  t.same(call.send('user_input_timeout'), [speak('I still cannot hear you, so I will end the call now. Goodbye.'), hangup()])
  t.same(call.send('session_start'), [speak('Sorry, nobody could take your call right now.', { user_input_timeout_seconds: 5 })])
})

t.test('defaults: no greeting, and speech and keys get no reply', async (t) => {
  const call = startCall()

  t.same(call.send('session_start'), [])
  t.same(call.send('user_speak', { text: 'hello' }), [])
  t.same(call.send('user_speak', { text: 'hello', barged_in: true }), [])
  t.same(call.send('dtmf_received', { digit: '1' }), [])
  t.equal(call.state, 'listening')
})

t.test('an empty array says nothing even where there is a default', async (t) => {
  const call = listeningCall({ onTimeout: [], onTooManyTimeouts: [], onTransferFailed: [] }, { maxTimeouts: 1 })

  t.same(call.send('user_input_timeout'), [])
  t.same(call.send('user_input_timeout'), [])
  t.same(call.send('session_start'), [])
})

t.test('transfer failed: session_start after start runs onTransferFailed, from listening or speaking', async (t) => {
  const onTransferFailed = ({ event }: { event: { session: Session } }) => [`Sorry, nobody answered ${event.session.id}.`, 'How else can I help?']
  const listening = listeningCall({ onTransferFailed })
  t.same(listening.send('session_start'), [speak(`Sorry, nobody answered ${session.id}.`), speak('How else can I help?')])
  t.equal(listening.state, 'speaking')

  const speaking = startCall({ greeting: 'Hello!', onTransferFailed: 'Back again.' })
  speaking.send('session_start')
  t.same(speaking.send('session_start'), [speak('Back again.')], 'never the greeting twice')
})

t.test('assistant_speak changes nothing: the flow never waits for it', async (t) => {
  const call = startCall({ greeting: 'Hello!' })
  call.send('session_start')

  t.same(call.send('assistant_speak', { text: 'Hello!', duration_ms: 900, speech_started_at: 1_700_000_000_000 }), [])
  t.equal(call.state, 'speaking')
  t.same(call.context, { session, timeouts: 0, playing: true }, 'still playing')
  call.send('assistant_speech_ended')
  t.same(call.send('assistant_speak', { text: 'Hello!' }), [])
  t.equal(call.state, 'listening')
})

t.test('events the conversation does not answer are ignored', async (t) => {
  const call = listeningCall()
  const before = call.actor.getSnapshot()

  for (const [type, fields] of [['user_speech_started', {}], ['sms_failed', { reason: 'unknown number' }], ['call_parked', {}],
    ['assistant_speech_ended', {}]] as const) {
    t.same(call.send(type, fields), [], type)
  }
  t.equal(call.state, 'listening')
  t.same(call.actor.getSnapshot().context, before.context)
})

t.test('session_end ends the call from any state; nothing is said and later events are ignored', async (t) => {
  const fromStart = startCall({ greeting: 'Hello!' })
  const fromSpeaking = startCall({ greeting: 'Hello!' })
  fromSpeaking.send('session_start')
  const fromListening = listeningCall()

  for (const [name, call] of [['start', fromStart], ['speaking', fromSpeaking], ['listening', fromListening]] as const) {
    t.same(call.send('session_end'), [], name)
    t.equal(call.state, 'ended')
    t.equal(call.actor.getSnapshot().status, 'done')
    t.same(call.send('session_start'), [], `${name}: nothing after the end`)
  }
})

t.test('a handler that throws fails the flow, uncaught', async (t) => {
  const call = listeningCall({ onDtmf: () => { throw new Error('menu missing') } })

  call.send('dtmf_received', { digit: '1' })

  t.equal(call.actor.getSnapshot().status, 'error')
  t.match(call.actor.getSnapshot().error, { message: 'menu missing' })
})

t.test('a function handler that returns something other than a reply fails the flow, naming the handler', async (t) => {
  const wrong: Array<[unknown, RegExp]> = [
    [42, /onUserSpeak replied 42; a reply is text, an action/],
    [null, /onUserSpeak replied null/],
    [['Hi', { text: 'no type' }], /onUserSpeak replied \{"text":"no type"\}/],
    [['Hi', undefined], /onUserSpeak replied undefined/],
    [() => 'Hi', /onUserSpeak replied a function/]
  ]
  for (const [reply, message] of wrong) {
    const call = listeningCall({ onUserSpeak: () => reply as never })
    call.send('user_speak', { text: 'hi' })
    t.equal(call.actor.getSnapshot().status, 'error')
    t.match(call.actor.getSnapshot().error, { code: 'FST_AIFLOW_INVALID_ACTION', message })
  }
})

t.test('the context survives a JSON round trip: a restored call carries on where it was', async (t) => {
  const handlers = { greeting: 'Hello!', onTimeout: ({ timeouts }: { timeouts: number }) => `timeout ${timeouts}` }
  const first = listeningCall(handlers)
  first.send('user_input_timeout')
  const stored = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))

  const restored = createActor(createConversationFlow(handlers), { input: { session }, snapshot: stored })
  const emitted: FlowAction[] = []
  restored.on('*', (action) => { emitted.push(action) })
  restored.start()
  restored.send({ type: 'assistant_speech_ended', session })
  restored.send({ type: 'user_input_timeout', session })

  t.same(emitted, [speak('timeout 2')])
  t.equal(restored.getSnapshot().value, 'speaking')
})
