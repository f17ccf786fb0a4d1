import t from 'tap'
import defaultFlow, { flow } from '../../examples/pin-check'
import { hangup, speak } from '../../lib'
import { simulateCall } from '../../lib/testing'

const ask = (text: string) => speak(text, { user_input_timeout_seconds: 8 })

t.test('the module exports the flow as default and as flow', async (t) => {
  t.equal(defaultFlow, flow)
})

t.test('four keys, read back, confirmed', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  t.same(await call.start(), [ask('Please enter your four-digit PIN.')])
  t.same(await call.press('1234'), [ask('You entered 1 2 3 4. Press 1 if that is right, 2 to enter it again.')])
  t.same(await call.press('1'), [speak('Thank you, you are signed in.'), hangup()])
})

t.test('entered again after a 2; a pause before the fourth key says goodbye', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  await call.press('9999')
  t.same(await call.press('2'), [ask('Please enter your four-digit PIN.')])
  await call.press('12')
  t.same(await call.wait(4000), [speak('Goodbye.'), hangup()])
})

t.test('a wrong key reprompts, silence then says goodbye', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  await call.press('4321')
  t.same(await call.press('7'), [ask('Sorry: 1 if that is right, 2 to enter it again.')])
  t.same(await call.silence(), [ask('Press 1 if that is right, 2 to enter it again.')])
  t.same(await call.silence(), [speak('Goodbye.'), hangup()])
})

t.test('a second wrong key says goodbye', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  await call.press('4321')
  await call.press('7')
  t.same(await call.say('yes'), [speak('Goodbye.'), hangup()])
})
