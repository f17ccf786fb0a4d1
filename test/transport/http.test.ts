import t from 'tap'
import { emit } from 'xstate'
import Fastify from 'fastify'
import { fastifyAiFlow, setupFlow, speak, bargeIn, hangup } from '../../lib'
import { buildApp, event, example, post } from '../fixtures/helpers'

/** Replies to each event type with what the test asks for. */
const echoFlow = setupFlow({ types: { events: {} as { type: 'call_parked', session: { id: string } } } }).createMachine({
  on: {
    session_start: { actions: emit(speak('Hello!')) },
    user_speak: { actions: [emit(bargeIn()), emit(({ event }) => speak(`You said ${event.text}`))] },
    dtmf_received: { actions: emit(hangup()) },
    session_end: { actions: emit(speak('never sent')) },
    user_speech_started: { actions: emit(bargeIn()) },
    call_parked: { actions: emit(speak('parked')) }
  }
})

t.test('replies: one action, an array in emission order, or 204; session_id filled in', async (t) => {
  const { app } = await buildApp({ flow: echoFlow })
  t.teardown(() => app.close())
  const id = '550e8400-e29b-41d4-a716-446655440000'

  t.same(await post(app, example('event-session_start')), {
    status: 200, body: { type: 'speak', session_id: id, text: 'Hello!' }
  })
  t.same(await post(app, example('event-user_speak')), {
    status: 200,
    body: [{ type: 'barge_in', session_id: id }, { type: 'speak', session_id: id, text: 'You said Wait' }]
  })
  t.same(await post(app, example('event-assistant_speak')), { status: 204, body: undefined })
  t.same(await post(app, example('event-dtmf_received')), { status: 200, body: { type: 'hangup', session_id: id } })
})

t.test('session_end and user_speech_started are answered 204 whatever the flow emits', async (t) => {
  const { app, logs } = await buildApp({ flow: echoFlow })
  t.teardown(() => app.close())
  await post(app, event('session_start'))
  t.equal((await post(app, event('user_speech_started'))).status, 204)
  // What the flow emitted for user_speech_started leads the next reply: nothing accepted is lost.
  t.same((await post(app, event('user_speech_started'))).status, 204)
  t.same((await post(app, event('dtmf_received', 'call-1', { digit: '5' }))).body, [
    { type: 'barge_in', session_id: 'call-1' },
    { type: 'barge_in', session_id: 'call-1' },
    { type: 'hangup', session_id: 'call-1' }
  ])
  await post(app, event('user_speech_started'))
  t.equal((await post(app, event('session_end'))).status, 204)
  t.ok(logs.some((line) => line.msg.includes('ended before these actions could be sent') && line.dropped === 1))
})

t.test('an unknown event type reaches the flow', async (t) => {
  const { app } = await buildApp({ flow: echoFlow })
  t.teardown(() => app.close())
  t.same((await post(app, event('call_parked', 'call-1', { parked_at: 'lot 7' }))).body, {
    type: 'speak', session_id: 'call-1', text: 'parked'
  })
  t.equal((await post(app, event('call_resumed'))).status, 204, 'answered 204 when the flow does not reply')
})

t.test('X-API-TOKEN is checked in constant time before the body is read', async (t) => {
  const { app, logs } = await buildApp({ flow: echoFlow, token: 's3cret' })
  t.teardown(() => app.close())
  const cases: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['wrong', { 'x-api-token': 'guess' }],
    ['a prefix of the right one', { 'x-api-token': 's3cre' }],
    ['longer than the right one', { 'x-api-token': 's3cret!' }]
  ]
  for (const [name, headers] of cases) {
    const reply = await post(app, event('session_start'), headers)
    t.same(reply, {
      status: 401,
      body: { statusCode: 401, code: 'FST_AIFLOW_UNAUTHORIZED', error: 'Unauthorized', message: 'Missing or wrong X-API-TOKEN header' }
    }, name)
  }
  // Decided before parsing: a body that is not even JSON still gets 401, not 400.
  const raw = await app.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': 'application/json' }, payload: '{nope' })
  t.equal(raw.statusCode, 401)
  t.equal(app.aiFlow.liveCalls, 0, 'no call was opened')
  t.ok(logs.some((line) => line.msg.includes('wrong X-API-TOKEN')), 'the refusal is logged')
  t.equal((await post(app, event('session_start'), { 'X-API-Token': 's3cret' })).status, 200, 'header names are case-insensitive')
})

const malformed: Array<{ name: string, payload: string, type?: string, status: number, message: RegExp }> = [
  { name: 'not JSON', payload: '{"type": "session_start",', status: 400, message: /JSON/i },
  { name: 'empty body', payload: '', status: 400, message: /empty/i },
  { name: 'null', payload: 'null', status: 400, message: /body must be a JSON object/ },
  { name: 'an array', payload: '[{"type":"session_start"}]', status: 400, message: /body must be a JSON object/ },
  { name: 'a string', payload: '"session_start"', status: 400, message: /body must be a JSON object/ },
  { name: 'a number', payload: '42', status: 400, message: /body must be a JSON object/ },
  { name: 'no session', payload: '{"type":"session_start"}', status: 400, message: /body\/session is required/ },
  { name: 'empty session id', payload: '{"type":"session_start","session":{"id":""}}', status: 400, message: /body\/session\/id must not be empty/ },
  { name: 'numeric session id (no coercion)', payload: '{"type":"session_start","session":{"id":42}}', status: 400, message: /body\/session\/id must be a string/ },
  { name: 'numeric digit (no coercion)', payload: '{"type":"dtmf_received","digit":1,"session":{"id":"a"}}', status: 400, message: /body\/digit must be a string/ },
  { name: 'string barged_in (no coercion)', payload: '{"type":"user_speak","text":"hi","barged_in":"true","session":{"id":"a"}}', status: 400, message: /body\/barged_in must be a boolean/ },
  { name: 'missing text', payload: '{"type":"user_speak","session":{"id":"a"}}', status: 400, message: /body\/text is required/ },
  { name: 'an XState internal event', payload: '{"type":"xstate.done.actor.x","session":{"id":"a"}}', status: 400, message: /body\/type must be a snake_case event name/ },
  { name: '__proto__ poisoning', payload: '{"type":"session_start","session":{"id":"a"},"__proto__":{"admin":true}}', status: 400, message: /not valid JSON/ },
  { name: 'constructor.prototype poisoning', payload: '{"type":"session_start","session":{"id":"a"},"constructor":{"prototype":{"admin":true}}}', status: 400, message: /not valid JSON/ },
  { name: 'wrong content type', payload: 'type=session_start', type: 'application/x-www-form-urlencoded', status: 415, message: /Unsupported Media Type/i },
  { name: 'text/plain', payload: '{"type":"session_start","session":{"id":"a"}}', type: 'text/plain', status: 400, message: /body must be a JSON object/ },
  { name: 'too large', payload: JSON.stringify({ type: 'user_speak', text: 'x'.repeat(70_000), session: { id: 'a' } }), status: 413, message: /too large/i }
]

t.test('malformed bodies get a 4xx naming the problem, and the server keeps serving', async (t) => {
  const { app, logs } = await buildApp({ flow: echoFlow })
  t.teardown(() => app.close())
  for (const { name, payload, type = 'application/json', status, message } of malformed) {
    const response = await app.inject({ method: 'POST', url: '/webhook', headers: { 'content-type': type }, payload })
    t.equal(response.statusCode, status, `${name}: status`)
    const body = response.json()
    t.match(body, { statusCode: status, code: String, error: String, message }, `${name}: Fastify's error shape, a clear message`)
  }
  const refusals = logs.filter((line) => line.msg.startsWith('refused: '))
  t.equal(refusals.length, malformed.length, 'every refusal is logged')
  t.ok(refusals.every((line) => line.level === 30 && line.statusCode >= 400 && line.err === undefined), 'at info, without a stack')
  t.notOk(logs.some((line) => line.level >= 50), 'nothing logged as a server error')
  t.equal(app.aiFlow.liveCalls, 0, 'no call was opened by a bad request')
  t.same((await post(app, event('session_start'))).status, 200, 'still serving')
})

t.test('the route respects Fastify prefixes and a custom path', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: echoFlow, path: '/events' })
  const prefixed = Fastify()
  t.teardown(() => prefixed.close())
  await prefixed.register(fastifyAiFlow, { flow: echoFlow, path: '/events', prefix: '/ai' })
  t.equal((await post(app, event('session_start'), {}, '/events')).status, 200)
  t.equal((await post(prefixed, event('session_start'), {}, '/ai/events')).status, 200)
  t.equal((await post(prefixed, event('session_start'), {}, '/events')).status, 404)
})
