import t from 'tap'
import { createServer } from 'node:net'
import { placeCall, type ServiceError } from '../../lib'
import { fakeService } from '../fixtures/fake-service'

const request = { aiFlowId: 'flow-1', toPhoneNumber: '4915790000687', billingDevice: 'e2' }

t.test('posts the call with the Bearer token and resolves on 201', async (t) => {
  const fake = await fakeService(t)
  const result = await placeCall(request, { token: 'api-token', baseUrl: `${fake.baseUrl}/` })
  t.same(result, { body: { status: 'placed' } })
  t.same(fake.received, [{
    aiFlowId: 'flow-1',
    authorization: 'Bearer api-token',
    contentType: 'application/json',
    body: { billingDevice: 'e2', toPhoneNumber: '4915790000687' }
  }])
})

t.test('an empty 201 resolves with no body; a text body is kept as text', async (t) => {
  const fake = await fakeService(t)
  fake.answer = (reply) => reply.code(201).send()
  t.same(await placeCall(request, { token: 'api-token', baseUrl: fake.baseUrl }), { body: undefined })
  fake.answer = (reply) => reply.code(201).type('text/plain').send('placed')
  t.same(await placeCall(request, { token: 'api-token', baseUrl: fake.baseUrl }), { body: 'placed' })
})

t.test('the flow id is encoded into the path', async (t) => {
  const fake = await fakeService(t)
  await placeCall({ ...request, aiFlowId: 'a/b?c' }, { token: 'api-token', baseUrl: fake.baseUrl })
  t.equal(fake.received[0].aiFlowId, 'a/b?c')
})

t.test('400, 404 and any other answer reject with coded errors that carry the service\'s message', async (t) => {
  const fake = await fakeService(t)
  const cases: Array<[number, unknown, string, string, number]> = [
    [400, { message: 'The AI flow has no phone number' }, 'FST_AIFLOW_CALL_REFUSED', 'The AI flow has no phone number', 502],
    [404, { error: 'Not Found' }, 'FST_AIFLOW_FLOW_NOT_FOUND', 'Not Found', 502],
    [401, 'token expired', 'FST_AIFLOW_CALL_FAILED', 'token expired', 502],
    [500, { detail: '' }, 'FST_AIFLOW_CALL_FAILED', '{"detail":""}', 502],
    [200, { ok: true }, 'FST_AIFLOW_CALL_FAILED', '{"ok":true}', 502],
    [503, '', 'FST_AIFLOW_CALL_FAILED', 'Service Unavailable', 502],
    [500, null, 'FST_AIFLOW_CALL_FAILED', 'null', 502]
  ]
  for (const [status, body, code, message, statusCode] of cases) {
    fake.answer = (reply) => typeof body === 'string' ? reply.code(status).type('text/plain').send(body) : reply.code(status).send(body === null ? 'null' : body)
    const err = await placeCall(request, { token: 'api-token', baseUrl: fake.baseUrl }).catch((err: ServiceError) => err) as ServiceError & { statusCode: number }
    t.equal(err.code, code, `${status}: ${code}`)
    t.equal(err.serviceStatus, status)
    t.equal(err.serviceMessage, message)
    t.ok(err.message.includes(message), err.message)
    t.equal(err.statusCode, statusCode)
  }
})

t.test('a service that does not answer in time rejects with FST_AIFLOW_CALL_TIMEOUT', async (t) => {
  const fake = await fakeService(t)
  fake.answer = async () => await new Promise(() => {})
  const err = await placeCall(request, { token: 'api-token', baseUrl: fake.baseUrl, timeout: 50 }).catch((err: Error) => err)
  t.match(err, { code: 'FST_AIFLOW_CALL_TIMEOUT', statusCode: 504, message: /within 50 ms/ })
})

t.test('a service that cannot be reached rejects with FST_AIFLOW_SERVICE_UNREACHABLE', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  const err = await placeCall(request, { token: 'api-token', baseUrl: `http://127.0.0.1:${port}` }).catch((err: Error) => err)
  t.match(err, { code: 'FST_AIFLOW_SERVICE_UNREACHABLE', statusCode: 502, message: /ECONNREFUSED/ })
  t.ok(err instanceof Error && err.cause instanceof Error, 'the network error is the cause')
})

t.test('a bad request is refused before anything is sent', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...request, toPhoneNumber: '0157 9000' }, /request\/toPhoneNumber must be digits, with or without a leading \+/],
    [{ ...request, aiFlowId: '' }, /request\/aiFlowId must not be empty/],
    [{ aiFlowId: 'flow-1', toPhoneNumber: '+4915790000687' }, /request\/billingDevice is required/],
    [{ ...request, extra: 1 }, /request\/extra is not allowed/],
    ['flow-1', /request must be an object/]
  ]
  for (const [given, message] of cases) {
    await t.rejects(placeCall(given as never, { token: 'api-token' }), { code: 'FST_AIFLOW_INVALID_CALL_REQUEST', message })
  }
})

t.test('bad settings are refused, and the token never shows in the message', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /options must be an object with a token, got undefined/],
    [{}, /options.token must be a non-empty string of visible ASCII characters/],
    [{ token: 'secret\n' }, /options.token must be a non-empty string/],
    [{ token: 'ok', baseUrl: 'ftp://example.com' }, /options.baseUrl must be an https URL \(http only to localhost, 127\.0\.0\.1 or \[::1\]: the API token would cross the network in clear\), got "ftp:\/\/example.com"/],
    [{ token: 'ok', baseUrl: 'not a url' }, /options.baseUrl must be an https URL/],
    [{ token: 'ok', baseUrl: 'http://api.example.com' }, /options.baseUrl must be an https URL .*in clear\), got "http:\/\/api.example.com"/],
    [{ token: 'ok', baseUrl: 'http://127.0.0.1.example.com' }, /options.baseUrl must be an https URL/],
    [{ token: 'ok', baseUrl: 'http://10.0.0.1:8080' }, /options.baseUrl must be an https URL/],
    [{ token: 'ok', timeout: 0 }, /options.timeout must be a positive integer, got 0/],
    [{ token: 'ok', timeout: '5' }, /options.timeout must be a positive integer/]
  ]
  for (const [options, message] of cases) {
    const err = await placeCall(request, options as never).catch((err: Error) => err)
    t.match(err, { code: 'FST_AIFLOW_INVALID_OPTION', message })
    t.notOk(String((err as Error).message).includes('secret'))
  }
})
