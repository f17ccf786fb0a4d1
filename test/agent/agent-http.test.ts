import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { scriptedModel } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, post } from '../fixtures/helpers'

t.test('smoke', async (t) => {
  const model = scriptedModel(['Sure. For how many people, and when?', { text: 'Let me check.', tool: { name: 'book_table', args: { date: '2026-12-24', time: '19:00', people: 4 } } }])
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), replyTimeout: 500 })
  t.teardown(() => app.close())
  console.log(JSON.stringify((await post(app, event('session_start', 'c1'))).body))
  console.log(JSON.stringify((await post(app, event('user_speak', 'c1', { text: 'A table please' }))).body))
  console.log(JSON.stringify((await post(app, event('user_speak', 'c1', { text: 'Four, Christmas eve at seven' }))).body))
  console.log(JSON.stringify((await app.aiFlow.getCall('c1'))))
  console.log(JSON.stringify(model.requests, null, 1))
})
