import t from 'tap'
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { fastifyAiFlow } from '../../lib'
import { listen, session } from '../fixtures/app'
import { assistant } from '../fixtures/flows'
import { LogCollector } from '../fixtures/logs'
import { connect } from '../fixtures/ws-client'

const IGNORED = 'ignored an invalid WebSocket frame'

t.test('malformed frames are logged with the reason and ignored; the socket and its calls carry on', async (t) => {
  const { app, logs } = await listen(t)
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()

  const bad: Array<[string, string | Buffer, string, RegExp]> = [
    ['not JSON', '{"type": "user_speak",', 'FST_AIFLOW_INVALID_FRAME', /not JSON/],
    ['a wrong field', JSON.stringify({ type: 'dtmf_received', session: call, digit: '12' }), 'FST_AIFLOW_INVALID_EVENT', /frame\/digit must be exactly one of 0-9/],
    ['no session', JSON.stringify({ type: 'user_speak', text: 'hi' }), 'FST_AIFLOW_INVALID_EVENT', /frame\/session is required/],
    ['a JSON string', '"hello"', 'FST_AIFLOW_INVALID_EVENT', /must be a JSON object/],
    ['an empty array', '[]', 'FST_AIFLOW_INVALID_FRAME', /an empty array/]
  ]
  for (const [name, payload, code, reason] of bad) {
    client.send(payload)
    const line = await logs.waitFor(IGNORED, (line) => line.err?.code === code && reason.test(line.err.message))
    t.equal(line.level, 40, `${name}: logged as a warning`)
  }
  client.socket.send(Buffer.from([1, 2, 3]), { binary: true })
  await logs.waitFor(IGNORED, (line) => /binary frame/.test(line.err?.message ?? ''))

  client.send({ type: 'user_speak', session: call, text: 'repeat still fine' })
  t.match(await client.next(), { session_id: call.id, text: 'still fine' }, 'nothing was sent for the bad frames, and the call works')
  t.equal(logs.find(IGNORED).length, 6)
})

t.test('one bad event in an array costs only itself', async (t) => {
  const { app, logs } = await listen(t)
  const client = await connect(app)
  const call = session()
  client.send([
    { type: 'session_start', session: call },
    { type: 'dtmf_received', session: call },
    { type: 'user_speak', session: call, text: 'repeat after the bad one' }
  ])
  const line = await logs.waitFor(IGNORED)
  t.match(line.err?.message, /^frame\[1\]\/digit /)
  t.match(await client.next(), { text: 'Welcome to Acme!' })
  t.match(await client.next(), { text: 'after the bad one' })
})

t.test('a frame over maxPayload closes the socket with 1009, logged like every other bad frame', async (t) => {
  const { app, logs } = await listen(t, { websocket: { maxPayload: 1024 } })
  const client = await connect(app)
  client.send({ type: 'user_speak', session: session(), text: 'x'.repeat(2000) })
  t.match(await client.closed, { code: 1009 })
  const line = await logs.waitFor(IGNORED)
  t.equal(line.level, 40, 'a warning')
  t.match(line.err, { code: 'FST_AIFLOW_INVALID_FRAME', message: /over the limit of 1024 bytes \(websocket\.maxPayload\)/ })
  t.notOk(logs.lines.some((line) => line.level >= 50), 'not a server error')
})

t.test('with the app\'s own @fastify/websocket allowing more, a frame over maxPayload is logged and ignored', async (t) => {
  const { app, logs } = await listen(t, { websocket: { maxPayload: 1024 } }, {
    before: async (app) => { await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } }) }
  })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call, padding: 'x'.repeat(2000) })
  const line = await logs.waitFor(IGNORED)
  t.match(line.err, { code: 'FST_AIFLOW_INVALID_FRAME', message: /over the limit of 1024/ })
  client.send({ type: 'session_start', session: call })
  t.match(await client.next(), { session_id: call.id, text: 'Welcome to Acme!' })
  await client.close()
})

/** Text with an own `__proto__` key, or a `constructor.prototype`: JSON.stringify cannot make either from an object literal. */
const poisoned = (call: { id: string }, key: '__proto__' | 'constructor', text: string): string =>
  `{"type":"user_speak","session":${JSON.stringify(call)},"text":"repeat ${text}",` +
  (key === '__proto__' ? '"__proto__":{"polluted":true}}' : '"constructor":{"prototype":{"polluted":true}}}')

t.test('a frame with a __proto__ or constructor.prototype key, refused 400 over HTTP, no longer reaches the flow over the WebSocket', async (t) => {
  const { app, logs } = await listen(t)
  const call = session()
  for (const key of ['__proto__', 'constructor'] as const) {
    const res = await app.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': 'application/json' }, payload: poisoned(call, key, key) })
    t.equal(res.statusCode, 400, `${key}: the webhook refuses it`)
  }

  const client = await connect(app)
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send(poisoned(call, '__proto__', 'poisoned'))
  client.send(poisoned(call, 'constructor', 'poisoned'))
  client.send({ type: 'user_speak', session: call, text: 'repeat clean' })
  t.match(await client.next(), { session_id: call.id, text: 'clean' }, 'the flow heard neither, and the call goes on')
  const ignored = logs.find(IGNORED)
  t.equal(ignored.length, 2, 'both frames were ignored')
  for (const line of ignored) t.match(line, { level: 40, err: { code: 'FST_AIFLOW_INVALID_FRAME', message: /a __proto__ or constructor\.prototype key/ } })
})

t.test('an application that removes __proto__ keys from bodies has them removed from frames too', async (t) => {
  const logs = new LogCollector()
  const app = Fastify({ logger: { level: 'debug', stream: logs }, onProtoPoisoning: 'remove' })
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: assistant, websocket: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const call = session()
  const res = await app.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': 'application/json' }, payload: poisoned(call, '__proto__', 'over http') })
  t.equal(res.statusCode, 200, 'the webhook takes it without the key')

  const client = await connect(app)
  client.send(poisoned(call, '__proto__', 'over the socket'))
  t.match(await client.next(), { text: 'over the socket' }, 'and so does the socket')
  t.equal(logs.find(IGNORED).length, 0)
})
