import t from 'tap'
import defaultFlow, { flow, team } from '../../examples/transfer-fallback'
import { hangup, sendSms, speak, transfer } from '../../lib'
import { buildApp, event, post } from '../fixtures/helpers'
import { drive } from '../fixtures/drive'
import { simulateCall } from '../../lib/testing'

const id = 'transfer-call'
const caller = '4915790000123'
const start = event('session_start', id)
start.session.from_phone_number = caller
const wire = (action: object) => ({ ...action, session_id: id })
const goodbye = [speak('Thank you. We will call you back soon. Goodbye.'), hangup()]

t.test('the module exports the flow as default and as flow', async (t) => {
  t.equal(defaultFlow, flow)
})

t.test('transfer, no answer, call back on the same number: through the webhook', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same(await post(app, start), {
    status: 200,
    body: [
      wire(speak('Please hold, I am connecting you to our team.')),
      wire(transfer({ target_phone_number: team.phone, caller_id_name: 'Acme hotline', caller_id_number: caller, timeout: 20 }))
    ]
  })
  t.same(await post(app, start), {
    status: 200,
    body: wire(speak('Sorry, nobody is free right now. Shall we call you back on the number you are calling from? Say yes or no.', { user_input_timeout_seconds: 8 }))
  }, 'session_start again: the transfer failed')
  t.same(await post(app, event('user_speak', id, { text: 'Yes please' })), {
    status: 200,
    body: [wire(sendSms({ phone_number: team.mobile, message: `Missed call: please call back ${caller}.` })), ...goodbye.map(wire)]
  })
})

t.test('another number, typed with the keypad', async (t) => {
  const call = drive(flow)
  call.send('session_start')
  call.send('session_start')
  t.same(call.send('user_speak', { text: 'no' }), [speak('Please type the number we should call, then the hash key.', { user_input_timeout_seconds: 10 })])
  for (const digit of '0301234567') call.send('dtmf_received', { digit })
  t.same(call.send('dtmf_received', { digit: '#' }), [sendSms({ phone_number: team.mobile, message: 'Missed call: please call back 0301234567.' }), ...goodbye])
})

t.test('a withheld number goes straight to the keypad; too few digits say goodbye', async (t) => {
  const call = drive(flow, { session: { id: 'withheld' } })
  t.match(call.send('session_start')[1], { type: 'transfer', caller_id_number: team.phone }, 'no caller or flow number: the team number')
  t.same(call.send('session_start'), [speak('Please type the number we should call, then the hash key.', { user_input_timeout_seconds: 10 })])
  call.send('dtmf_received', { digit: '1' })
  t.same(call.send('dtmf_received', { digit: '#' }), [speak('Please try again later. Goodbye.'), hangup()])
})

t.test('no answer to the question goes to the keypad; session_end ends the flow', async (t) => {
  const call = drive(flow, { session: { id: 'flow-number', phone_number: '4921155660', from_phone_number: caller } })
  t.match(call.send('session_start')[1], { type: 'transfer', caller_id_number: caller })
  call.send('session_start')
  t.same(call.send('user_input_timeout'), [speak('Please type the number we should call, then the hash key.', { user_input_timeout_seconds: 10 })])
  call.send('session_end')
  t.equal(call.actor.getSnapshot().status, 'done')
})

t.test("without the caller's number, the transfer shows the flow's own", async (t) => {
  const call = drive(flow, { session: { id: 'flow-number-only', phone_number: '4921155660' } })
  t.match(call.send('session_start')[1], { type: 'transfer', caller_id_number: '4921155660' })
})

t.test('through the simulator: a pause after the digits ends them, on the simulated clock', async (t) => {
  const call = simulateCall(flow, { session: { from_phone_number: caller } })
  t.teardown(() => call.close())
  await call.start()
  await call.transferFailed()
  await call.say('no')
  t.same(await call.press('030123'), [])
  t.same(await call.wait(4999), [], 'not yet')
  t.same(await call.wait(1), [sendSms({ phone_number: team.mobile, message: 'Missed call: please call back 030123.' }), ...goodbye])
})
