import t from 'tap'
import { fromPromise } from 'xstate'
import { askModel, assistantFlow, buildServer } from '../../examples/websocket'
import { deferred } from '../fixtures/flows'
import { connect } from '../fixtures/ws-client'

t.test('the WebSocket example: a slow answer goes out when it is ready, and speech onset stops our speech', async (t) => {
  const model = deferred<string>()
  const app = buildServer(assistantFlow.provide({ actors: { answer: fromPromise(async () => await model.promise) } }))
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const client = await connect(app)
  const session = { id: 'websocket-example-call' }

  client.send({ type: 'session_start', session })
  t.same(await client.next(), { type: 'speak', session_id: session.id, text: 'Hello! Ask me anything.' })
  client.send({ type: 'user_speech_started', session })
  t.same(await client.next(), { type: 'barge_in', session_id: session.id })
  client.send({ type: 'user_speak', session, text: 'the weather' })
  t.same(await client.next(), { type: 'speak', session_id: session.id, text: 'Let me think.' })
  model.resolve('Sunny all week.')
  t.same(await client.next(), { type: 'speak', session_id: session.id, text: 'Sunny all week.' })
  await client.close()
})

t.test('the stand-in model answers about the question', async (t) => {
  t.equal(await askModel('the weather', 1), 'Here is what I know about the weather.')
})
