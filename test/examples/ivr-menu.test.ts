import t from 'tap'
import defaultFlow, { flow, numbers } from '../../examples/ivr-menu'
import { speak, transfer } from '../../lib'
import { buildApp, event, post } from '../fixtures/helpers'
import { drive } from '../fixtures/drive'
import { runScript } from '../../lib/testing'

const id = 'ivr-call'
const menuText = 'For sales, press 1 or say sales. For support, press 2 or say support. For our opening hours, press 3.'
const wire = (action: object) => ({ ...action, session_id: id })
const toDesk = (name: keyof typeof numbers) => wire(transfer({ target_phone_number: numbers[name], caller_id_name: 'Acme hotline', caller_id_number: '+1234567890' }))

t.test('the module exports the flow as default and as flow', async (t) => {
  t.equal(defaultFlow, flow)
})

t.test('welcome, then a key leads to sales, through the webhook', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same(await post(app, event('session_start', id)), {
    status: 200,
    body: [wire(speak('Welcome to Acme.')), wire(speak(menuText, { user_input_timeout_seconds: 8 }))]
  })
  t.same(await post(app, event('dtmf_received', id, { digit: '1' })), {
    status: 200,
    body: [wire(speak('Connecting you to sales.')), toDesk('sales')]
  })
})

t.test('the opening hours, then the menu again; support by voice', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  await post(app, event('session_start', id))
  t.same(await post(app, event('dtmf_received', id, { digit: '3' })), {
    status: 200,
    body: [wire(speak('We are open Monday to Friday, from 9 am to 5 pm.')), wire(speak(menuText, { user_input_timeout_seconds: 8 }))]
  })
  t.same(await post(app, event('user_speak', id, { text: 'I have a problem with my order and need help' })), {
    status: 200,
    body: wire(speak('Sorry, I did not get that. Press 1 for sales, 2 for support or 3 for our opening hours.', { user_input_timeout_seconds: 8 }))
  }, 'two choices named is no choice')
  t.same(await post(app, event('user_speak', id, { text: 'Support, please.' })), {
    status: 200,
    body: [wire(speak('Connecting you to support.')), toDesk('support')]
  })
})

t.test('silence twice reaches the operator', async (t) => {
  const call = drive(flow)
  call.send('session_start')
  t.same(call.send('user_input_timeout'), [speak('Are you still there? Press 1 for sales, 2 for support or 3 for our opening hours.', { user_input_timeout_seconds: 8 })])
  const [words, handover] = call.send('user_input_timeout')
  t.same(words, speak('Let me connect you to an operator.'))
  t.match(handover, { type: 'transfer', target_phone_number: numbers.operator, caller_id_number: numbers.operator }, 'the flow number is used when the session has none')
})

t.test('session_end ends the flow from any state', async (t) => {
  const call = drive(flow)
  call.send('session_start')
  call.send('session_end')
  t.equal(call.actor.getSnapshot().status, 'done')
})

t.test('through the simulator: the hours, then sales by voice', async (t) => {
  const turns = await runScript(flow, ['start', { press: '3' }, { say: 'Sales please' }])
  t.same(turns.map((turn) => turn.move), ['start', 'press', 'say'])
  t.same(turns[2].state, 'sales')
  t.same(turns[2].actions, [speak('Connecting you to sales.'), transfer({ target_phone_number: numbers.sales, caller_id_name: 'Acme hotline', caller_id_number: turns[0].event?.session.phone_number as string })])
})
