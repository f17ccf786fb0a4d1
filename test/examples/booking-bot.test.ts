import t from 'tap'
import { fromPromise } from 'xstate'
import defaultFlow, { fakeUnderstand, flow, yesOrNo, type Slot, type Understood } from '../../examples/booking-bot'
import { hangup, speak } from '../../lib'
import { buildApp, event, post } from '../fixtures/helpers'
import { drive } from '../fixtures/drive'
import { simulateCall } from '../../lib/testing'

const id = 'booking-call'
const ask = (text: string) => ({ type: 'speak', session_id: id, text, user_input_timeout_seconds: 8 })

t.test('the module exports the flow as default and as flow', async (t) => {
  t.equal(defaultFlow, flow)
})

t.test('the fake model finds a day and a time, keeps what it knew, asks for the rest', async (t) => {
  const none: Slot = {}
  t.same(await fakeUnderstand({ text: 'Tomorrow at 3 pm please', known: none }), { day: 'tomorrow', time: '3 pm' })
  t.same(await fakeUnderstand({ text: 'friday 10:30', known: none }), { day: 'friday', time: '10:30' })
  t.same(await fakeUnderstand({ text: 'On Monday', known: none }), { day: 'monday', question: 'At what time on monday?' })
  t.same(await fakeUnderstand({ text: 'today', known: none }), { day: 'today', question: 'At what time today?' })
  t.same(await fakeUnderstand({ text: "at 9 o'clock", known: none }), { time: '9', question: 'On which day, at 9?' })
  t.same(await fakeUnderstand({ text: 'at 11 am', known: { day: 'monday' } }), { day: 'monday', time: '11 am' })
  t.same(await fakeUnderstand({ text: 'no idea', known: none }), { question: 'Sorry, when would you like to come? For example: tomorrow at 10 am.' })
  t.same(await fakeUnderstand({ text: 'Saturday', known: { time: '9' } }), { time: '9', question: 'We are closed at weekends. Which weekday suits you?' })
})

t.test('yesOrNo reads words and keys', async (t) => {
  const session = { id }
  t.equal(yesOrNo({ type: 'user_speak', session, text: 'Yes please' }), true)
  t.equal(yesOrNo({ type: 'user_speak', session, text: 'No, not then' }), false)
  t.equal(yesOrNo({ type: 'user_speak', session, text: 'hmm' }), undefined)
  t.equal(yesOrNo({ type: 'dtmf_received', session, digit: '1' }), true)
  t.equal(yesOrNo({ type: 'dtmf_received', session, digit: '2' }), false)
  t.equal(yesOrNo({ type: 'dtmf_received', session, digit: '5' }), undefined)
})

t.test('a booking over the webhook: the model answers within the reply', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same(await post(app, event('session_start', id)), { status: 200, body: ask('Hello! I can book you an appointment. When would you like to come?') })
  t.same(await post(app, event('user_speak', id, { text: 'On Tuesday' })), { status: 200, body: ask('At what time on tuesday?') })
  t.same(await post(app, event('user_speak', id, { text: 'at 3 pm' })), { status: 200, body: ask('tuesday at 3 pm. Shall I book it? Say yes or no.') })
  t.same(await post(app, event('user_speak', id, { text: 'Yes.' })), {
    status: 200,
    body: [{ type: 'speak', session_id: id, text: 'Done: tuesday at 3 pm, reference A-1042. Goodbye!' }, { type: 'hangup', session_id: id }]
  })
})

t.test('a real model is swapped in with provide(); saying no asks again', async (t) => {
  const heard: string[] = []
  const model = fromPromise<Understood, { text: string, known: Slot }>(async ({ input }) => {
    heard.push(input.text)
    return { day: 'wednesday', time: '8 am' }
  })
  const call = drive(flow.provide({ actors: { understand: model } }))
  call.send('session_start')
  call.send('user_speak', { text: 'whenever' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(call.emitted.at(-1), speak('wednesday at 8 am. Shall I book it? Say yes or no.', { user_input_timeout_seconds: 8 }))
  t.same(call.send('dtmf_received', { digit: '2' }), [speak('When would you like to come instead?', { user_input_timeout_seconds: 8 })])
  t.same(heard, ['whenever'])
})

t.test('a model that fails ends the call politely', async (t) => {
  const call = drive(flow.provide({ actors: { understand: fromPromise<Understood, { text: string, known: Slot }>(async () => { throw new Error('model down') }) } }))
  call.send('session_start')
  call.send('user_speak', { text: 'tomorrow at 9' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(call.emitted.slice(-2), [speak('Sorry, I cannot book appointments right now. Please call again later.'), hangup()])
})

t.test('a calendar that fails ends the call politely too', async (t) => {
  const call = drive(flow.provide({ actors: { book: fromPromise<{ reference: string }, { day: string, time: string }>(async () => { throw new Error('calendar down') }) } }))
  call.send('session_start')
  call.send('user_speak', { text: 'tomorrow at 9' })
  await new Promise((resolve) => setImmediate(resolve))
  call.send('user_speak', { text: 'yes' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(call.emitted.slice(-2), [speak('Sorry, I cannot book appointments right now. Please call again later.'), hangup()])
})

t.test('silence or no answer says goodbye; session_end ends the flow', async (t) => {
  const silent = drive(flow)
  silent.send('session_start')
  silent.send('user_input_timeout')
  t.same(silent.send('user_input_timeout'), [speak('Goodbye.'), hangup()])
  const keys = drive(flow)
  keys.send('session_start')
  t.same(keys.send('dtmf_received', { digit: '1' }), [speak('Please tell me a day and a time.', { user_input_timeout_seconds: 8 })])
  t.same(keys.send('user_speak', { text: '  ' }), [speak('Goodbye.'), hangup()])
  keys.send('session_end')
  t.equal(keys.actor.getSnapshot().status, 'done')
})

t.test('through the simulator: the model works within each turn', async (t) => {
  const call = simulateCall(flow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('Tomorrow at 9 am'), [speak('tomorrow at 9 am. Shall I book it? Say yes or no.', { user_input_timeout_seconds: 8 })])
  t.same(await call.press('1'), [speak('Done: tomorrow at 9 am, reference A-1042. Goodbye!'), hangup()])
})
