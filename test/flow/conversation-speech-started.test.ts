import t from 'tap'
import { createActor } from 'xstate'
import { bargeIn, createConversationFlow, mixAudio, type ConversationHandlers } from '../../lib/flow'
import type { FlowAction, Session } from '../../lib/protocol'

const session: Session = { id: 'speech-started-call', direction: 'inbound' }

/** A call of the conversation flow: `send` returns what one event made it emit. */
function startCall (handlers: ConversationHandlers) {
  const actor = createActor(createConversationFlow({ greeting: 'Hello! How can I help?', ...handlers }), { input: { session } })
  const emitted: FlowAction[] = []
  actor.on('*', (action) => { emitted.push(action) })
  actor.start()
  return {
    send (type: string, fields: Record<string, unknown> = {}): FlowAction[] {
      emitted.length = 0
      actor.send({ type, session, ...fields } as never)
      return [...emitted]
    },
    get state () { return actor.getSnapshot().value },
    get context () { return actor.getSnapshot().context }
  }
}

/** Stop our speech when the caller starts talking over it; say nothing otherwise. */
const stopWhilePlaying: ConversationHandlers['onUserSpeechStarted'] = ({ playing }) => playing ? bargeIn() : undefined

t.test('onUserSpeechStarted may stop our speech at once: barge_in, and the flow listens', async (t) => {
  const call = startCall({ onUserSpeechStarted: stopWhilePlaying, onUserSpeak: ({ event }) => `You said ${event.text}.` })
  call.send('session_start')
  t.equal(call.state, 'speaking')

  t.same(call.send('user_speech_started'), [bargeIn()])
  t.equal(call.state, 'listening', 'nothing plays any more')
  t.equal(call.context.playing, false)

  t.same(call.send('user_speech_started'), [], 'with nothing playing, the policy says nothing')
  t.same(call.send('user_speak', { text: 'opening hours', barged_in: true }), [{ type: 'speak', text: 'You said opening hours.' }],
    'the transcript that follows is answered as usual')
})

t.test('the handler sees the session, the event and whether we are playing', async (t) => {
  const seen: unknown[] = []
  const call = startCall({ onUserSpeechStarted: (context) => { seen.push(context) } })
  call.send('session_start')
  call.send('user_speech_started')
  call.send('assistant_speech_ended')
  call.send('user_speech_started')
  t.same(seen, [
    { session, event: { type: 'user_speech_started', session }, timeouts: 0, playing: true },
    { session, event: { type: 'user_speech_started', session }, timeouts: 0, playing: false }
  ])
  t.equal(call.state, 'listening')
})

t.test('without the handler, user_speech_started changes nothing', async (t) => {
  const call = startCall({})
  call.send('session_start')
  t.same(call.send('user_speech_started'), [])
  t.equal(call.state, 'speaking')
  t.equal(call.context.playing, true)
})

t.test('a reply that stops our speech and plays something new keeps the flow speaking', async (t) => {
  const call = startCall({ onUserSpeechStarted: [bargeIn(), 'Yes?'] })
  call.send('session_start')
  t.same(call.send('user_speech_started'), [bargeIn(), { type: 'speak', text: 'Yes?' }])
  t.equal(call.state, 'speaking')
  t.equal(call.context.playing, true)
})

t.test('a reply without barge_in leaves the playing as it was', async (t) => {
  const call = startCall({ onUserSpeechStarted: mixAudio({ stop: true }) })
  call.send('session_start')
  t.same(call.send('user_speech_started'), [{ type: 'mix_audio', stop: true }])
  t.equal(call.context.playing, true)
})
