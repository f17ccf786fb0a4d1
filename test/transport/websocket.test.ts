import t from 'tap'
import fastifyWebsocket from '@fastify/websocket'
import { fromPromise } from 'xstate'
import { listen, session } from '../fixtures/app'
import { assistant, deferred } from '../fixtures/flows'
import { connect, refused } from '../fixtures/ws-client'

const TOKEN = 'secret-token'

t.test('the upgrade is refused with 401 before any socket opens when the token is missing or wrong', async (t) => {
  const { app, logs } = await listen(t, { token: TOKEN })
  const missing = await refused(app)
  t.equal(missing.statusCode, 401)
  t.equal(missing.body.code, 'FST_AIFLOW_UNAUTHORIZED')
  const wrong = await refused(app, { headers: { 'x-api-token': 'guess' } })
  t.equal(wrong.statusCode, 401)
  t.equal(logs.find('WebSocket opened').length, 0, 'no socket was opened')

  const client = await connect(app, { headers: { 'x-api-token': TOKEN } })
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak', text: 'Welcome to Acme!' }, 'the right token opens the socket')
  await client.close()
})

t.test('an event gets its reply as soon as the flow emits it, one object or an array', async (t) => {
  const { app } = await listen(t)
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  t.same(await client.next(), { type: 'speak', session_id: call.id, text: 'Welcome to Acme!' }, 'one action is one object')
  client.send({ type: 'dtmf_received', session: call, digit: '#' })
  t.same(await client.next(), [
    { type: 'speak', session_id: call.id, text: 'Goodbye!' },
    { type: 'hangup', session_id: call.id }
  ], 'actions emitted together leave together, as an array')
  await client.close()
})

t.test('two calls on one socket: every frame is routed by session.id', async (t) => {
  const { app } = await listen(t)
  const client = await connect(app)
  const first = session()
  const second = session()
  client.send({ type: 'session_start', session: first })
  t.match(await client.next(), { session_id: first.id })
  client.send({ type: 'session_start', session: second })
  t.match(await client.next(), { session_id: second.id })
  client.send({ type: 'user_speak', session: second, text: 'repeat for the second' })
  client.send({ type: 'user_speak', session: first, text: 'repeat for the first' })
  const replies = [await client.next(), await client.next()]
  t.same(replies.map((action) => [action.session_id, action.text]).sort(), [
    [first.id, 'for the first'],
    [second.id, 'for the second']
  ].sort())
  t.equal(app.aiFlow.liveCalls, 2)

  client.send([
    { type: 'user_speak', session: first, text: 'repeat one' },
    { type: 'user_speak', session: first, text: 'repeat two' }
  ])
  t.same([(await client.next()).text, (await client.next()).text], ['one', 'two'], 'a frame may carry an array of events, run in order')
  await client.close()
})

t.test('a slow answer is pushed when it is ready, long after the reply deadline', async (t) => {
  const gate = deferred()
  const flow = assistant.provide({
    actors: { lookup: fromPromise(async ({ input }: { input: { question: string } }) => { await gate.promise; return `About ${input.question}: yes.` }) }
  })
  const { app, logs } = await listen(t, { flow, replyTimeout: 1 })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send({ type: 'user_speak', session: call, text: 'parking' })
  t.match(await client.next(), { type: 'speak', text: 'One moment.' }, 'the reply did not wait for the lookup')
  await logs.waitFor('WebSocket opened')
  t.equal(client.queued, 0)
  gate.resolve()
  t.match(await client.next(), { type: 'speak', session_id: call.id, text: 'About parking: yes.' })
  t.match(await app.aiFlow.getCall(call.id), { state: 'listening', pendingActions: 0 })
  await client.close()
})

t.test('user_speech_started reaches the flow, and what it emits is sent at once', async (t) => {
  const { app } = await listen(t)
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send({ type: 'user_speech_started', session: call })
  t.same(await client.next(), { type: 'barge_in', session_id: call.id })
  await client.close()
})

t.test('session_end gets no frame and ends the call', async (t) => {
  const { app } = await listen(t)
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send({ type: 'session_end', session: call })
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak', text: 'Welcome to Acme!' }, 'the next frame is the other call\'s')
  t.equal(await app.aiFlow.getCall(call.id), undefined)
  await client.close()
})

t.test('an outbound call gets its own greeting over the socket', async (t) => {
  const { app } = await listen(t)
  const client = await connect(app)
  client.send({ type: 'session_start', session: session('outbound') })
  t.match(await client.next(), { type: 'speak', text: 'Hello, this is Acme calling.' })
  await client.close()
})

t.test('the prefix option and websocket.path place the route', async (t) => {
  const { app } = await listen(t, { prefix: '/ai', websocket: { path: '/events' } })
  const client = await connect(app, { path: '/ai/events' })
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak' })
  await client.close()
  t.equal((await refused(app, { path: '/ws' })).statusCode, 404, 'and the refused upgrade\'s socket is closed')
})

t.test('in a prefixed context, with @fastify/websocket at the root, the route takes the context\'s prefix', async (t) => {
  const { app, logs } = await listen(t, { websocket: { path: '/events' } }, {
    prefix: '/ai',
    before: async (app) => { await app.register(fastifyWebsocket) }
  })
  const client = await connect(app, { path: '/ai/events' })
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak' })
  await client.close()
  t.equal((await refused(app, { path: '/elsewhere' })).statusCode, 404)
  t.equal(logs.lines.filter((line) => line.level === 40).length, 0, 'no warning')
})

t.test('an app that registered @fastify/websocket itself keeps it and its settings', async (t) => {
  const { app } = await listen(t, {}, {
    before: async (app) => { await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } }) }
  })
  const client = await connect(app)
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak' })
  await client.close()
})

t.test('a call beyond maxSessions is refused and logged; the socket keeps serving its calls', async (t) => {
  const { app, logs } = await listen(t, { maxSessions: 1 })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send({ type: 'session_start', session: session() })
  const line = await logs.waitFor('the event was refused')
  t.equal(line.err?.code, 'FST_AIFLOW_TOO_MANY_CALLS')
  client.send({ type: 'user_speak', session: call, text: 'repeat still here' })
  t.match(await client.next(), { session_id: call.id, text: 'still here' })
  await client.close()
})

t.test('a store failure is logged with the call, and the socket stays open', async (t) => {
  const store = {
    get: async () => { throw new Error('connection lost') },
    set: async () => {},
    delete: async () => {}
  }
  const { app, logs } = await listen(t, { store })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  const line = await logs.waitFor('the event could not be handled')
  t.equal(line.err?.code, 'FST_AIFLOW_STORE_UNAVAILABLE')
  t.equal(line.sessionId, call.id)
  t.equal(client.socket.readyState, client.socket.OPEN)
  await client.close()
})

t.test('registered in a prefixed context without @fastify/websocket at the root, the plugin warns and still serves', async (t) => {
  const { app, logs } = await listen(t, {}, { prefix: '/ai' })
  const line = await logs.waitFor('fastify-ai-flow is registered in a prefixed context: use its prefix option instead, or register @fastify/websocket at the root first')
  t.equal(line.prefix, '/ai')
  const client = await connect(app, { path: '/ai/ws' })
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak' })
  await client.close()
})
