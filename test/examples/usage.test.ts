import t from 'tap'
import app from '../../examples/usage'
import { event, post } from '../fixtures/helpers'

t.test("the README's usage example serves a call", async (t) => {
  t.teardown(() => app.close())
  await app.ready()
  t.match(await post(app, event('session_start')), { status: 200, body: { type: 'speak', text: /Welcome to Acme/ } })
  t.match(await post(app, event('dtmf_received', 'call-1', { digit: '1' })), { body: { type: 'transfer', timeout: 30 } })
  t.match(await post(app, event('dtmf_received', 'call-1', { digit: '7' })), { body: { type: 'speak', text: 'Sorry, I only know the key 1.' } })
  t.match(await post(app, event('user_speak', 'call-1', { text: 'sales' })), { body: { type: 'speak', text: 'Press 1 for sales.' } })
  t.match(await post(app, event('user_speak', 'call-1', { text: 'bye now' })), {
    body: [{ type: 'speak', text: 'Goodbye!', user_input_timeout_seconds: 8 }, { type: 'hangup' }]
  })
})
