import { randomUUID } from 'node:crypto'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, type AgentModel, type FastifyAiFlowOptions } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { scriptedModel } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { restaurantModel } from '../../examples/restaurant-model'
import { sharedRedis } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'

// The conversation is context: it is parked, stored and restored with the call, on any instance.

async function line (t: { teardown: (fn: () => unknown) => void }, model: AgentModel, options: Partial<FastifyAiFlowOptions>): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), replyTimeout: 1000, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const said = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]).map((action: any) => action.text ?? action.type)

t.test('each event of the call on the next of two instances: the model always gets the whole conversation', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  // One model for both instances: its requests show what each instance asked.
  const model = scriptedModel(['Hello! For how many?', 'Four. And when?', 'Seven it is.'])
  const a = await line(t, model, { store: new RedisStore({ url, prefix }) })
  const b = await line(t, model, { store: new RedisStore({ url, prefix }) })
  const id = randomUUID()
  await post(a, event('session_start', id))
  t.same(said((await post(b, event('user_speak', id, { text: 'A table' }))).body), ['Hello!', 'For how many?'])
  t.same(said((await post(a, event('user_speak', id, { text: 'Four' }))).body), ['Four.', 'And when?'])
  await post(b, event('user_speak', id, { text: 'At seven' }))
  t.same(model.requests[2].messages.map((message) => message.role === 'tool' ? 'tool' : `${message.role}: ${message.text}`), [
    'assistant: Welcome to Luigi\'s! How can I help you?',
    'caller: A table',
    'assistant: Hello! For how many?',
    'caller: Four',
    'assistant: Four. And when?',
    'caller: At seven'
  ])
})

t.test('parked between its events to make room, a call keeps its conversation', async (t) => {
  const model = scriptedModel(['One.', 'Two.', 'Three.'])
  const app = await line(t, model, { liveActors: 1 })
  await post(app, event('session_start', 'p'))
  await post(app, event('user_speak', 'p', { text: 'first' }))
  // Another call takes the one live actor: p is parked.
  await post(app, event('session_start', 'other'))
  await post(app, event('user_speak', 'p', { text: 'second' }))
  t.same(model.requests[1].messages.slice(1).map((message) => (message as { text: string }).text), ['first', 'One.', 'second'])
})

t.test('a scripted model per call: a call that moves between instances, each with its own model, and a second call get the right answers', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  // Two processes' models: neither knows what the other answered.
  const a = await line(t, restaurantModel({}), { store: new RedisStore({ url, prefix }) })
  const b = await line(t, restaurantModel({}), { store: new RedisStore({ url, prefix }) })
  for (const [first, second] of [[a, b], [b, a], [a, a]]) {
    const id = randomUUID()
    await post(first, event('session_start', id))
    t.same(said((await post(first, event('user_speak', id, { text: 'A table, please' }))).body), ['Of course!', 'For which day, at what time, and for how many people?'])
    t.same(said((await post(second, event('user_speak', id, { text: 'Christmas Eve at seven, four of us' }))).body), ['A table for 4 on Christmas Eve at 19:00 is free.', 'Shall I book it?'])
    t.same(said((await post(first, event('user_speak', id, { text: 'Yes, please' }))).body), ['Let me book that.', 'Your table is booked. See you at Luigi\'s!', 'hangup'])
  }
})
