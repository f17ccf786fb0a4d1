import t from 'tap'
import defaultFlow, { flow, SHOP, toppingsIn } from '../../examples/pizza-flow'
import { hangup, speak, transfer } from '../../lib'
import { simulateCall } from '../../lib/testing'

const ask = (text: string) => speak(text, { user_input_timeout_seconds: 8 })
const SIZE = 'A small or a large pizza? Press 1 for small, 2 for large, or 0 for a person.'
const TOPPINGS = 'Which toppings? We have cheese, ham, mushrooms, peppers, olives, onions.'
const PHONE = 'Please type your phone number, then the hash key.'
const agent = (from = SHOP.agent) => [speak('Let me put you through to our team.'), transfer({ target_phone_number: SHOP.agent, caller_id_name: 'Pizza line', caller_id_number: from })]

t.test('the module exports the flow as default and as flow', async (t) => {
  t.equal(defaultFlow, flow)
})

t.test('toppings are read from speech, in menu order; keys are no answer', async (t) => {
  const session = { id: 'x' }
  t.same(toppingsIn({ type: 'user_speak', session, text: 'Olives and HAM please' }), ['ham', 'olives'])
  t.equal(toppingsIn({ type: 'user_speak', session, text: 'pineapple' }), undefined)
  t.equal(toppingsIn({ type: 'dtmf_received', session, digit: '1' }), undefined)
})

t.test('an order in four steps: size, toppings, phone number, confirmed', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  t.same(await call.start(), [speak('Welcome to Pizza Roma.'), ask(SIZE)])
  t.same(await call.say('A large one'), [ask(`A large pizza. ${TOPPINGS}`)])
  t.same(await call.say('mushrooms and onions'), [ask(PHONE)])
  t.same(await call.press('0301234567#'), [ask('A large pizza with mushrooms and onions, for 0301234567. Press 1 to order, 2 to start again.')])
  t.same(await call.press('1'), [speak('Thank you! Your pizza will be with you in 30 minutes.'), hangup()])
})

t.test('starting again clears the order; a number too short reaches a person', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  await call.press('1')
  await call.say('cheese')
  await call.press('0301234567#')
  t.same(await call.press('2'), [ask(SIZE)])
  await call.press('1')
  t.same(await call.say('ham'), [ask(PHONE)])
  t.same(await call.press('123#'), agent())
})

t.test('silence twice at the size, or a wrong answer twice at the toppings, reaches a person', async (t) => {
  const silent = simulateCall(flow)
  t.teardown(() => silent.close())
  await silent.start()
  t.same(await silent.silence(), [ask('Are you still there? Press 1 for small or 2 for large.')])
  t.same(await silent.silence(), agent())
  const lost = simulateCall(flow)
  t.teardown(() => lost.close())
  await lost.start()
  await lost.press('2')
  t.same(await lost.say('pineapple'), [ask('Sorry, we have cheese, ham, mushrooms, peppers, olives, onions.')])
  t.same(await lost.say('anchovies'), agent())
})

t.test('0 or "a person" at the size goes straight to a person', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('Can I talk to a person?'), agent())
})
