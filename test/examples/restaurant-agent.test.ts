import t from 'tap'
import { DEMO_ANSWERS, restaurantModel } from '../../examples/restaurant-model'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { calendar, MemoryBookings, restaurantFlow, type Booking, type BookingService } from '../../examples/restaurant-agent'
import { echoModel } from '../../examples/custom-model'
import { checkFlow } from '../../lib/tools/check'
import { toMermaid } from '../../lib/tools/mermaid'
import { scriptedModel } from '../../lib/testing'
import { startExample } from '../fixtures/example-server'
import { readPage, snippets } from '../fixtures/markdown'

t.test('Luigi\'s model: scripted unless AI_FLOW_MODEL names a model of the AI SDK', async (t) => {
  t.equal(restaurantModel({}).name, 'scripted')
  t.equal(restaurantModel({ AI_FLOW_MODEL: '' }).name, 'scripted')
  t.match(restaurantModel({ AI_FLOW_MODEL: 'openai/gpt-4o-mini' }).name, /gpt-4o-mini/, 'made, not called: no network is needed for that')
})

t.test('the booking line runs as a server, with the scripted model, and books a table over HTTP, call after call', async (t) => {
  // No AI_FLOW_MODEL from the machine: the scripted model answers.
  const { url: base } = await startExample(t, 'examples/restaurant-server.ts')
  const send = async (id: string, type: string, fields: Record<string, unknown> = {}): Promise<unknown[]> => {
    const res = await fetch(`${base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type, session: { id }, ...fields }) })
    const body: unknown = res.status === 204 ? [] : await res.json()
    return (Array.isArray(body) ? body : [body]).map((action: any) => action.text ?? action.type)
  }
  // The second call gets the same answers: the scripted model answers by each call's conversation.
  for (const id of ['luigi', 'luigi-2']) {
    t.same(await send(id, 'session_start'), ['Welcome to Luigi\'s! How can I help you?'])
    t.same(await send(id, 'user_speak', { text: 'A table, please' }), ['Of course!', 'For which day, at what time, and for how many people?'])
    t.same(await send(id, 'user_speak', { text: 'Christmas Eve at seven, four of us' }), ['A table for 4 on Christmas Eve at 19:00 is free.', 'Shall I book it?'])
    t.same(await send(id, 'user_speak', { text: 'yes' }), ['Let me book that.', 'Your table is booked. See you at Luigi\'s!', 'hangup'])
  }
  // The second answer checks the slot and the fourth books it (function tools): their results reach the next answer in the same caller turn.
  t.equal(DEMO_ANSWERS.length, 5, 'every scripted answer was used')
})

t.test('the custom model of docs/language-models.md answers the booking line and ends the call', async (t) => {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(echoModel) })
  t.teardown(() => app.close())
  const said = async (type: string, fields: Record<string, unknown> = {}): Promise<unknown[]> => {
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: { type, session: { id: 'echo' }, ...fields } })
    const body: unknown = res.statusCode === 204 ? [] : res.json()
    return (Array.isArray(body) ? body : [body]).map((action: any) => action.text ?? action.type)
  }
  await said('session_start')
  t.same(await said('user_speak', { text: 'Hello' }), ['You said: Hello.'])
  t.same(await said('user_speak', { text: 'Bye then' }), ['Thank you for calling. Goodbye!', 'hangup'])
})

t.test('docs/language-models.md shows the example and how to run it with a real model', async (t) => {
  const page = readPage('docs/language-models.md')
  // The sketches of a function tool and of a handoff (Tools, Handoffs) are no files of their own.
  t.match(snippets(page).map((block) => block.file), ['examples/restaurant-agent.ts', 'examples/restaurant-model.ts', undefined, undefined, undefined, 'examples/custom-model.ts', 'examples/agent-ai-sdk.ts'])
  t.match(page, /AI_FLOW_MODEL=openai\/gpt-4o-mini AI_GATEWAY_API_KEY=\S+ npx tsx examples\/restaurant-server\.ts/)
})

t.test('the booking line passes check: the agent\'s own events (sentences, the reply deadline) are the plugin\'s, not unknown ones', async (t) => {
  t.same(checkFlow(restaurantFlow(scriptedModel([]))), [])
})

t.test('docs/language-models.md draws the booking line as the flow draws it today', async (t) => {
  const [, diagram] = /<!-- diagram: examples\/restaurant-agent\.ts -->\n```mermaid\n([\s\S]*?)```/.exec(readPage('docs/language-models.md')) ?? []
  t.equal(diagram, toMermaid(restaurantFlow(scriptedModel([]))))
})

t.test('Luigi\'s line checks the calendar before it offers a slot: a full one comes back to the model as not free, in the same turn', async (t) => {
  const model = scriptedModel([
    { tools: [{ name: 'check_availability', args: { date: '2026-12-24', time: '20:00', people: 2 } }, { name: 'check_availability', args: { date: '2026-12-24', time: '19:00', people: 2 } }] },
    'Eight is full, but seven is free.'
  ])
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const post = async (type: string, fields: Record<string, unknown> = {}) => (await app.inject({ method: 'POST', url: '/webhook', payload: { type, session: { id: 'c' }, ...fields } })).json()
  await post('session_start')
  // One action comes as it is, not in an array.
  t.match(await post('user_speak', { text: 'Two at eight on Christmas Eve?' }), { type: 'speak', text: 'Eight is full, but seven is free.' })
  t.same(model.requests[1].messages.slice(-2).map((message) => message.role === 'tool' && message.result), ['{"free":false}', '{"free":true}'])
})

t.test('Luigi\'s line books with the run\'s key as the idempotency key: the same key books once, and the caller hears the confirmation', async (t) => {
  const bookings = new MemoryBookings()
  const keys: string[] = []
  const service: BookingService = { book: async (booking, key) => { keys.push(key); return await bookings.book(booking, key) } }
  const model = scriptedModel(DEMO_ANSWERS, { perCall: true })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model, service), replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const said = async (type: string, fields: Record<string, unknown> = {}): Promise<unknown[]> => {
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: { type, session: { id: 'k' }, ...fields } })
    return [res.json()].flat().map((action: any) => action.text ?? action.type)
  }
  const slot = '2026-12-24 19:00'
  const before = calendar.get(slot) ?? 0
  await said('session_start')
  await said('user_speak', { text: 'A table, please' })
  await said('user_speak', { text: 'Christmas Eve at seven, four of us' })
  t.same(await said('user_speak', { text: 'yes' }), ['Let me book that.', 'Your table is booked. See you at Luigi\'s!', 'hangup'])
  t.equal(keys.length, 1)
  t.match(keys[0], /^k/, 'the key is the call\'s work key')
  t.same([...bookings.made], [[keys[0], 'L-1']])
  t.equal(calendar.get(slot), before + 4, 'four seats taken')
  const booking = DEMO_ANSWERS[3] as { tool: { args: Booking } }
  t.same(model.requests[4].messages.at(-1), { role: 'tool', name: 'book_table', args: booking.tool.args, ok: true, result: '{"reference":"L-1"}', round: 1 }, 'the model got the reference')
  // The same run again (its instance died, another runs it): the service books nothing more.
  t.same(await bookings.book(booking.tool.args, keys[0]), { reference: 'L-1' })
  t.equal(bookings.made.size, 1)
  t.equal(calendar.get(slot), before + 4, 'no more seats taken')
  t.same(await bookings.book(booking.tool.args, 'another call'), { reference: 'L-2' }, 'another key books again')
  t.equal(calendar.get(slot), before + 8)
})
