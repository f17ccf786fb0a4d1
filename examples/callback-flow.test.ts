import t from 'tap'
import { hangup, speak, transfer } from '../lib'
import { runScript, simulateCall } from '../lib/testing'
import { flow } from './callback-flow'

t.test('a caller who says their name is promised a call back', async (t) => {
  const call = simulateCall(flow)
  t.same(await call.start(), [speak('Hello! Please say your name, or press 0 for the operator.', { user_input_timeout_seconds: 6 })])
  t.same(await call.say('Ada'), [speak('Thank you, Ada. We will call you back today. Goodbye!'), hangup()])
  t.ok(call.ended, 'the flow hung up')
})

t.test('silence gets one reminder, then a goodbye', async (t) => {
  const turns = await runScript(flow, ['start', 'silence', 'silence'])
  t.same(turns.map((turn) => turn.state), ['askName', 'askName', 'done', undefined])
  t.same(turns[2].actions, [speak('Sorry, I cannot hear you. Goodbye!'), hangup()])
})

t.test('0 reaches the operator; when nobody answers, the call comes back', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.press('7'), [], 'other keys do nothing')
  t.same(await call.press('0'), [
    transfer({ target_phone_number: '+4921155660', caller_id_name: 'Callback line', caller_id_number: '+4921155600', timeout: 20 })
  ])
  t.same(await call.transferFailed(), [
    speak('The operator is busy. Please say your name and we will call you back.', { user_input_timeout_seconds: 6 })
  ])
  t.equal(call.state, 'askName')
})
