import t from 'tap'
import { emit, fromPromise } from 'xstate'
import { REPLY_DEADLINE, setupFlow, speak, type ReplyDeadlineEvent } from '../../lib'
import { buildApp, event, post } from '../fixtures/helpers'

// When a webhook reply must go while work its event started still runs,
// the flow is told (REPLY_DEADLINE), and what it says then goes in that reply.

function flow (answer: Promise<string>) {
  // The plugin's own event is declared like any event the protocol does not list.
  return setupFlow({ types: { events: {} as ReplyDeadlineEvent }, actors: { lookup: fromPromise(async () => await answer) } }).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'busy' } },
      busy: {
        invoke: { src: 'lookup', onDone: { target: 'idle', actions: emit(({ event }) => speak(event.output)) } },
        on: { [REPLY_DEADLINE]: { actions: emit(speak('Still looking.')) } }
      }
    }
  })
}

t.test('at the deadline the flow is sent aiflow.reply_deadline; what it says goes in the reply, the work\'s result in the next', async (t) => {
  let resolve!: (text: string) => void
  const { app } = await buildApp({ flow: flow(new Promise((_resolve) => { resolve = _resolve })), replyTimeout: 50 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  t.equal(REPLY_DEADLINE, 'aiflow.reply_deadline')
  t.same((await post(app, event('session_start', 'd'))).body, { type: 'speak', session_id: 'd', text: 'Still looking.' })
  resolve('Found it.')
  t.same((await post(app, event('assistant_speech_ended', 'd'))).body, { type: 'speak', session_id: 'd', text: 'Found it.' })
})

t.test('work done before the deadline: no deadline event', async (t) => {
  const { app } = await buildApp({ flow: flow(Promise.resolve('Here.')), replyTimeout: 1000 })
  t.teardown(() => app.close())
  t.same((await post(app, event('session_start', 'e'))).body, { type: 'speak', session_id: 'e', text: 'Here.' })
})
