import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, hangup, speak } from '../../lib'
import { runScript, simulateCall } from '../../lib/testing'
import { echoFlow, gatedThinkingFlow, menuFlow } from '../fixtures/simulator-flows'

/** The part of a test these helpers use. */
interface Teardown { teardown (fn: () => unknown): void }

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}

async function server (t: Teardown, options: Parameters<typeof fastifyAiFlow>[1], before = (_app: FastifyInstance) => {}): Promise<string> {
  const app = Fastify()
  t.teardown(() => app.close())
  before(app)
  await app.register(fastifyAiFlow, options)
  return `${await listen(app)}/webhook`
}

/** A server that answers every POST with what `reply` says. */
async function fakeServer (t: Teardown, reply: (body: any) => { status: number, body?: unknown }): Promise<string> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.post('/webhook', async (request, response) => {
    const { status, body } = reply(request.body)
    return response.code(status).send(body)
  })
  return `${await listen(app)}/webhook`
}

t.test('drives a running server through its webhook, as the service does', async (t) => {
  const url = await server(t, { flow: echoFlow, token: 'secret' })
  const call = simulateCall(url, { token: 'secret', sessionId: 'over-http' })
  t.same(await call.start(), [speak('start inbound from +9876543210')])
  t.same(await call.press('12'), [speak('key 1'), speak('key 2')])
  t.equal(call.state, undefined, 'the state of a server cannot be seen')
  t.notOk('state' in call.turns[0], 'turns carry no state either')
  await call.hangUp()
  t.ok(call.ended)
})

t.test('a 204 is no actions; a 200 is its one action or its array', async (t) => {
  const url = await fakeServer(t, (body) => {
    if (body.type !== 'dtmf_received') return { status: 204 }
    const key = { type: 'speak', session_id: body.session.id, text: `key ${String(body.digit)}` }
    return body.digit === '2' ? { status: 200, body: [key, { type: 'hangup', session_id: body.session.id }] } : { status: 200, body: key }
  })
  const call = simulateCall(url)
  t.same(await call.start(), [], 'answered 204')
  t.same(await call.press('1'), [speak('key 1')], 'one object')
  t.same(await call.press('2'), [speak('key 2'), hangup()], 'an array')
})

t.test('wait() posts nothing and lets real time pass; what the flow said meanwhile leads the next reply', async (t) => {
  const { flow, answer } = gatedThinkingFlow()
  // When each POST reached the server, by the server's clock.
  const posted: number[] = []
  const url = await server(t, { flow, replyTimeout: 1 }, (app) => app.addHook('onRequest', async () => { posted.push(performance.now()) }))
  const call = simulateCall(url)
  await call.start()
  t.same(await call.say('hello'), [speak('Let me think.')], 'the reply did not wait past its deadline')
  // The flow has said it now: only a POST can bring it to the caller.
  await answer('Here you are.')
  t.same(await call.wait(30), [], 'what the flow said did not come with the wait')
  t.equal(posted.length, 2, 'for the wait posted nothing')
  t.same(call.turns.at(-1), { move: 'wait', ms: 30, actions: [], at: call.turns.at(-1)?.at }, 'the wait is a turn of its own')
  t.same(await call.say('again'), [speak('Here you are.'), speak('Let me think.')], 'what the flow said meanwhile leads the next reply')
  // Node's timers may fire up to a millisecond early.
  t.ok(posted[2] - posted[1] >= 29, `the server saw the next event 30 ms after the one before the wait at least (${(posted[2] - posted[1]).toFixed(1)} ms)`)
})

t.test('user_speech_started is refused: the service sends it over the WebSocket only', async (t) => {
  const seen: string[] = []
  const url = await fakeServer(t, (body) => { seen.push(body.type); return { status: 204 } })
  const call = simulateCall(url)
  await call.start()
  await t.rejects(call.speechStarted(), new TypeError(
    "user_speech_started comes over the WebSocket only: the service never posts it to a webhook. Simulate the call by the server's ws: URL to see what the flow answers"
  ))
  await t.rejects(call.send({ type: 'user_speech_started' }), /comes over the WebSocket only/)
  t.same(seen, ['session_start'], 'nothing was posted')
  t.same(call.turns.map((turn) => turn.move), ['start'], 'and no turn was played')
})

t.test('a URL object works too; the token is sent, and a refusal is an error', async (t) => {
  const url = await server(t, { flow: echoFlow, token: 'secret' })
  const call = simulateCall(new URL(url), { token: 'wrong' })
  await t.rejects(call.start(), /POST http:\/\/127\.0\.0\.1:\d+\/webhook answered 401: .*FST_AIFLOW_UNAUTHORIZED/)
  t.equal(call.errors.length, 1)
})

t.test('what a server answers is checked as strictly as the plugin checks a flow', async (t) => {
  const invalid = await fakeServer(t, () => ({ status: 200, body: { type: 'speak', session_id: 'x' } }))
  await t.rejects(simulateCall(invalid, { sessionId: 'x' }).start(), /the reply holds an invalid action: action must have exactly one of text or ssml/)
  const stranger = await fakeServer(t, () => ({ status: 200, body: [{ type: 'hangup', session_id: 'someone-else' }] }))
  await t.rejects(simulateCall(stranger, { sessionId: 'me' }).start(), /the reply is for session someone-else, not me/)
})

t.test('a server that hangs up ends the call with a session_end', async (t) => {
  const seen: string[] = []
  const url = await fakeServer(t, (body) => {
    seen.push(body.type)
    return body.type === 'dtmf_received' ? { status: 200, body: { type: 'hangup', session_id: body.session.id } } : { status: 204 }
  })
  const turns = await runScript(url, ['start', { press: '9' }])
  t.same(seen, ['session_start', 'dtmf_received', 'session_end'])
  t.same(turns.map((turn) => turn.move), ['start', 'press', 'ended'])
})

t.test('only http:, https:, ws: and wss: URLs lead to servers', async (t) => {
  t.throws(() => simulateCall('ftp://example.com/webhook'), /the simulator reaches servers by http:, https:, ws: or wss: URLs, got ftp:/)
  t.throws(() => simulateCall('not a url'), TypeError)
})

t.test('a script plays the same against the flow and against a server running it', async (t) => {
  const url = await server(t, { flow: menuFlow })
  const script = ['start', { press: '1' }, 'transferFailed', { press: '9' }] as const
  const direct = await runScript(menuFlow, script, { sessionId: 'same' })
  const remote = await runScript(url, script, { sessionId: 'same' })
  t.same(remote.map((turn) => turn.actions), direct.map((turn) => turn.actions))
  t.same(remote.map((turn) => turn.event), direct.map((turn) => turn.event))
})
