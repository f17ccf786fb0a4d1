import t from 'tap'
import { assign, emit, setup } from 'xstate'
import { forwardEvents, setupFlow, speak, type FlowEvent } from '../../lib'
import { drive } from '../fixtures/drive'

// A child that counts the caller's words until it hears "done".
const counter = setup({ types: { context: {} as { words: number }, events: {} as FlowEvent, output: {} as number } }).createMachine({
  context: { words: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: {
        user_speak: [
          { guard: ({ event }) => event.text === 'done', target: 'finished' },
          { actions: assign({ words: ({ context, event }) => context.words + event.text.split(' ').length }) }
        ]
      }
    },
    finished: { type: 'final' }
  },
  output: ({ context }) => context.words
})

const flow = setupFlow({ actors: { counter } }).createMachine({
  initial: 'idle',
  on: { dtmf_received: { actions: emit(speak('a key')) } },
  states: {
    idle: { on: { session_start: 'counting' } },
    counting: {
      invoke: { id: 'counter', src: 'counter', onDone: { target: 'told', actions: emit(({ event }) => speak(`${event.output} words`)) } },
      on: forwardEvents('counter', 'user_speak')
    },
    told: {}
  }
})

t.test('forwardEvents hands the named events to an invoked child, unchanged; others stay with the parent', async (t) => {
  t.same(Object.keys(forwardEvents('counter', 'user_speak', 'dtmf_received')), ['user_speak', 'dtmf_received'])
  const call = drive(flow)
  call.send('session_start')
  call.send('user_speak', { text: 'one two' })
  t.same(call.send('dtmf_received', { digit: '5' }), [speak('a key')], 'not forwarded: the parent handles it')
  call.send('user_speak', { text: 'three' })
  t.same(call.send('user_speak', { text: 'done' }), [speak('3 words')])
  t.equal(call.value(), 'told')
})
