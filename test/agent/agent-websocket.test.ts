import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, type AgentMemory, type AgentModel } from '../../lib'
import { scriptedModel, TestClock } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, eventually } from '../fixtures/helpers'
import { connect, type Client } from '../fixtures/ws-client'

async function line (t: { teardown: (fn: () => unknown) => void }, model: AgentModel): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), websocket: true, replyTimeout: 1000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

/** The next frame's actions, each a speak's text or another action's type. */
async function next (client: Client): Promise<unknown[]> {
  const frame = await client.next()
  return (Array.isArray(frame) ? frame : [frame]).map((action: any) => action.type === 'speak' ? action.text : action.type)
}

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

t.test('over the WebSocket, each sentence goes out as soon as the model has produced it, before the answer is complete', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([{ text: ['We open', ' at noon. On', ' Sundays at one.'], delay: 1000, firstDelay: 0 }], { clock })
  const app = await line(t, model)
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'c'))
  t.same(await next(client), ['Welcome to Luigi\'s! How can I help you?'])
  client.send(event('user_speak', 'c', { text: 'When do you open?' }))
  // The model has its first piece out and waits for the next.
  await eventually(() => clock.pending === 1)
  await clock.advance(1000)
  t.same(await next(client), ['We open at noon.'], 'the first sentence left while the model was still answering')
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'thinking' })
  await eventually(() => clock.pending === 1)
  await clock.advance(1000)
  t.same(await next(client), ['On Sundays at one.'])
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'listening' })
  t.equal(client.queued, 0, 'nothing more, nothing twice')
})

t.test('time to the first spoken sentence against the whole answer, with the scripted model\'s real delays', async (t) => {
  // Ten pieces 100 ms apart: the first sentence is complete at the third.
  const pieces = ['Of', ' course.', ' We', ' have', ' tables', ' free', ' at', ' seven', ' and', ' nine.']
  const model = scriptedModel([{ text: pieces, delay: 100, firstDelay: 100 }])
  const app = await line(t, model)
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'c'))
  await next(client)
  const sent = performance.now()
  client.send(event('user_speak', 'c', { text: 'A table tonight?' }))
  t.same(await next(client), ['Of course.'])
  const first = performance.now() - sent
  t.same(await next(client), ['We have tables free at seven and nine.'])
  const whole = performance.now() - sent
  t.comment(`first sentence spoken after ${first.toFixed(0)} ms, the whole answer after ${whole.toFixed(0)} ms`)
  t.ok(first < whole - 500, 'the first sentence did not wait for the rest of the answer')
})

t.test('barge-in: the caller starting to talk stops the model through its signal; the conversation keeps what they heard', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([
    { text: ['We have tables at seven. We', ' also have some at nine. And', ' at ten.'], delay: 1000, firstDelay: 0 },
    'Nine it is. For how many?'
  ], { clock })
  const app = await line(t, model)
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'c'))
  await next(client)
  client.send(event('assistant_speech_ended', 'c'))
  client.send(event('user_speak', 'c', { text: 'Any tables tonight?' }))
  t.same(await next(client), ['We have tables at seven.'])
  client.send(event('user_speech_started', 'c'))
  t.same(await next(client), ['barge_in'], 'playback is stopped at once')
  t.ok(await eventually(() => model.aborted === 1), 'the model was stopped through its signal')
  await clock.advance(5000)
  client.send(event('user_speak', 'c', { text: 'Nine, please', barged_in: true }))
  t.same(await next(client), ['Nine it is.'])
  t.same(await next(client), ['For how many?'])
  t.same(model.requests[1].messages.slice(-3), [
    { role: 'caller', text: 'Any tables tonight?' },
    { role: 'assistant', text: 'We have tables at seven. —', interrupted: true },
    { role: 'caller', text: 'Nine, please' }
  ], 'the model knows what the caller heard before they cut it off')
  t.equal(client.queued, 0, 'nothing of the stopped answer came after the barge-in')
  t.match((await memory(app, 'c')).messages.at(-1), { role: 'assistant', text: 'Nine it is. For how many?' })
})
