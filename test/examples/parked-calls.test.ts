import t from 'tap'
import app from '../../examples/parked-calls'
import { MENU } from '../../examples/demo-flow'
import { event, post } from '../fixtures/helpers'

t.test('the parked-calls example answers as the demo does', async (t) => {
  app.log.level = 'silent'
  t.teardown(() => app.close())
  t.same(await post(app, event('session_start', 'parked-example')), {
    status: 200,
    body: { type: 'speak', session_id: 'parked-example', text: `Welcome to Acme! ${MENU}`, user_input_timeout_seconds: 8 }
  })
  t.same((await post(app, event('dtmf_received', 'parked-example', { digit: '0' }))).body,
    { type: 'speak', session_id: 'parked-example', text: MENU, user_input_timeout_seconds: 8 })
})
