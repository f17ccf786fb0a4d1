import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, type AgentMemory, type AgentModel } from '../../lib'
import { scriptedModel, TestClock } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, eventually, post } from '../fixtures/helpers'

const BOOKING = { date: '2026-12-24', time: '19:00', people: 4 }
const GREETING = 'Welcome to Luigi\'s! How can I help you?'
const FALLBACK = 'Sorry, I cannot help you right now. I am putting you through to a person.'

async function line (t: { teardown: (fn: () => unknown) => void }, model: AgentModel, replyTimeout = 1000): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), replyTimeout })
  // Listening, as in production: the model's delays run on a test clock, which holds no process open.
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const texts = (body: unknown): unknown[] => (body === undefined || body === '' ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

t.test('over the webhook, an answer ready before replyTimeout goes in the reply, a sentence per speak, the last one asking for a timeout', async (t) => {
  const model = scriptedModel(['Of course. For how many people, and when?'])
  const app = await line(t, model)
  t.same(texts((await post(app, event('session_start', 'c'))).body), [GREETING])
  const reply = await post(app, event('user_speak', 'c', { text: 'I would like a table' }))
  t.same(reply.body, [
    { type: 'speak', session_id: 'c', text: 'Of course.' },
    { type: 'speak', session_id: 'c', text: 'For how many people, and when?', user_input_timeout_seconds: 8 }
  ])
  t.same(model.requests[0].messages, [{ role: 'assistant', text: GREETING }, { role: 'caller', text: 'I would like a table' }], 'the model got the conversation so far')
  t.match(model.requests[0].instructions, /Luigi's/)
  t.same(model.requests[0].tools.map((tool) => tool.name), ['confirm_booking', 'transfer_to_person', 'end_call', 'check_availability', 'book_table'], 'its tools are the state\'s transitions and functions')
  t.same((await memory(app, 'c')).messages.at(-1), { role: 'assistant', text: 'Of course. For how many people, and when?' })
})

t.test('over the webhook, an answer not ready at replyTimeout: the filler goes at once, the answer leads the next reply', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([{ text: 'We open at noon.', firstDelay: 5000 }], { clock })
  const app = await line(t, model, 100)
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'When do you open?' }))).body), ['One moment, please.'])
  await clock.advance(5000)
  t.ok(await eventually(async () => (await app.aiFlow.getCall('c'))?.pendingActions === 1), 'the answer came while no reply was open')
  t.same(texts((await post(app, event('assistant_speech_ended', 'c'))).body), ['We open at noon.'])
})

t.test('over the webhook, a sentence complete by the deadline goes instead of the filler, the rest leads the next reply', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([{ text: ['Let me see. We', ' open at noon.'], delay: 5000, firstDelay: 0 }], { clock })
  const app = await line(t, model, 100)
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'When do you open?' }))).body), ['Let me see.'])
  await clock.advance(5000)
  t.ok(await eventually(async () => (await app.aiFlow.getCall('c'))?.pendingActions === 1))
  t.same(texts((await post(app, event('assistant_speech_ended', 'c'))).body), ['We open at noon.'])
})

t.test('a tool call is a transition: confirm_booking leaves the agent for the confirmation, its arguments typed in the context', async (t) => {
  const model = scriptedModel([{ text: 'Let me note that.', tool: { name: 'confirm_booking', args: BOOKING } }])
  const app = await line(t, model)
  await post(app, event('session_start', 'c'))
  const reply = await post(app, event('user_speak', 'c', { text: 'Four people on Christmas Eve at seven' }))
  t.same(texts(reply.body), ['Let me note that.', 'Your table is booked. See you at Luigi\'s!', 'hangup'])
  const call = await app.aiFlow.getCall('c')
  t.same((call?.context as { booking: unknown }).booking, BOOKING)
  t.equal(call?.state, 'booked')
  t.same((await memory(app, 'c')).messages.at(-1), { role: 'tool', name: 'confirm_booking', args: BOOKING, ok: true, result: 'taken' })
})

t.test('a tool call with invalid arguments, or a tool the state does not offer, goes back to the model as an error, never into the flow', async (t) => {
  const model = scriptedModel([
    { tool: { name: 'confirm_booking', args: { ...BOOKING, people: 0 } } },
    { tool: { name: 'cancel_booking', args: {} } },
    { tool: { name: 'confirm_booking', args: BOOKING } }
  ])
  const app = await line(t, model)
  await post(app, event('session_start', 'c'))
  const reply = await post(app, event('user_speak', 'c', { text: 'Book for nobody' }))
  t.match(texts(reply.body), ['Your table is booked. See you at Luigi\'s!', 'hangup'], 'only the valid third call was taken')
  t.equal(model.requests.length, 3)
  const refused = model.requests[2].messages.slice(-2)
  t.match(refused, [
    { role: 'tool', name: 'confirm_booking', ok: false, result: /invalid arguments for "confirm_booking": \/people: Expected integer to be greater or equal to 1/ },
    { role: 'tool', name: 'cancel_booking', ok: false, result: 'there is no tool "cancel_booking" here; the tools are: confirm_booking, transfer_to_person, end_call, check_availability, book_table' }
  ], 'the model was told what was wrong')
  t.same((await memory(app, 'c')).messages.filter((message) => message.role === 'tool').map((message) => (message as { ok: boolean }).ok), [false, false, true], 'the conversation keeps the refusals')
})

t.test('a model that keeps calling what it may not call, or fails, takes the state\'s fallback', async (t) => {
  const stubborn = scriptedModel(Array.from({ length: 3 }, () => ({ tool: { name: 'cancel_booking' } })))
  const app = await line(t, stubborn)
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Cancel it' }))).body), [FALLBACK, 'transfer'])
  t.equal(stubborn.requests.length, 3)

  const failing = scriptedModel([{ text: 'Well.', error: 'the provider is down' }])
  const other = await line(t, failing)
  await post(other, event('session_start', 'd'))
  t.same(texts((await post(other, event('user_speak', 'd', { text: 'Hello' }))).body), [FALLBACK, 'transfer'], 'what it said before the error is not spoken: it was the last sentence, held back')
})

t.test('end_call and transfer_to_person are the only other ways out', async (t) => {
  const app = await line(t, scriptedModel([{ text: 'Goodbye!', tool: { name: 'end_call' } }]))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'That is all' }))).body), ['Goodbye!', 'Thank you for calling. Goodbye!', 'hangup'])
  const person = await line(t, scriptedModel([{ tool: { name: 'transfer_to_person' } }]))
  await post(person, event('session_start', 'd'))
  t.same(texts((await post(person, event('user_speak', 'd', { text: 'A person please' }))).body), ['I am putting you through to a person.', 'transfer'])
})

t.test('a user_speak that barged in stops the model still answering and asks again, with what the caller heard', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([{ text: ['We have seven. And', ' nine. And ten.'], delay: 5000, firstDelay: 0 }, 'Nine, then.'], { clock })
  const app = await line(t, model, 100)
  await post(app, event('session_start', 'c'))
  await post(app, event('assistant_speech_ended', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Tables?' }))).body), ['We have seven.'])
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Nine', barged_in: true }))).body), ['Nine, then.'])
  t.equal(model.aborted, 1, 'the first answer was stopped through its signal')
  t.same(model.requests[1].messages.slice(-3), [
    { role: 'caller', text: 'Tables?' },
    { role: 'assistant', text: 'We have seven. —', interrupted: true },
    { role: 'caller', text: 'Nine' }
  ])
})

t.test('the caller starting to talk over a finished answer still playing stops it; over one that has played, nothing happens', async (t) => {
  const model = scriptedModel(['One. Two.', 'Three.'])
  const app = await line(t, model)
  await post(app, event('session_start', 'c'))
  await post(app, event('assistant_speech_ended', 'c'))
  await post(app, event('user_speak', 'c', { text: 'Count' }))
  await post(app, event('assistant_speech_ended', 'c'))
  t.same(texts((await post(app, event('user_speech_started', 'c'))).body), [], 'no reply over the webhook: it leads the next one')
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Stop', barged_in: true }))).body), ['barge_in', 'Three.'])
  t.same((await memory(app, 'c')).messages.slice(2, 4), [{ role: 'assistant', text: 'One. Two. —', interrupted: true }, { role: 'caller', text: 'Stop' }], 'one of two sentences had played')
  await post(app, event('assistant_speech_ended', 'c'))
  t.same(texts((await post(app, event('user_speech_started', 'c'))).body), [])
  t.equal((await app.aiFlow.getCall('c'))?.pendingActions, 0, 'nothing was playing: no barge_in')
})
