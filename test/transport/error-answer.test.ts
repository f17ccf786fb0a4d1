import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { answerError } from '../../lib/transport/error-answer'
import { InvalidEventError, StoreUnavailableError } from '../../lib/errors'
import { LogCollector } from '../fixtures/logs'
import { listen } from '../fixtures/app'
import { refused } from '../fixtures/ws-client'
import { event } from '../fixtures/helpers'

async function appThrowing (t: Test, errors: Record<string, Error>) {
  const logs = new LogCollector()
  const app = Fastify({ logger: { level: 'info', stream: logs } })
  t.teardown(() => app.close())
  await app.register(async function routes (child) {
    child.setErrorHandler(answerError)
    for (const [path, err] of Object.entries(errors)) child.get(path, async () => { throw err })
  })
  return { app, logs }
}

const refusedLines = (logs: LogCollector) => logs.lines.filter((line) => line.msg.startsWith('refused: '))

t.test('a 4xx says what is wrong, and is logged at info without a stack', async (t) => {
  const { app, logs } = await appThrowing(t, { '/bad': new InvalidEventError('body/digit must be a string') })
  const response = await app.inject('/bad')
  t.equal(response.statusCode, 400)
  t.same(response.json(), { statusCode: 400, code: 'FST_AIFLOW_INVALID_EVENT', error: 'Bad Request', message: 'body/digit must be a string' })
  t.match(refusedLines(logs), [{ level: 30, statusCode: 400, code: 'FST_AIFLOW_INVALID_EVENT', msg: 'refused: body/digit must be a string' }])
  t.notOk(logs.lines.some((line) => line.err !== undefined || line.level >= 40), 'no stack, no warning')
})

t.test('a 5xx tells the caller its status and code only, and is logged at error with the stack', async (t) => {
  const { app, logs } = await appThrowing(t, {
    '/store': new StoreUnavailableError('connect ECONNREFUSED 10.1.2.3:6379'),
    '/bug': new Error('cannot read secret of undefined'),
    '/redirect': Object.assign(new Error('not an error status'), { statusCode: 302 })
  })
  const store = await app.inject('/store')
  t.equal(store.statusCode, 503)
  t.same(store.json(), { statusCode: 503, code: 'FST_AIFLOW_STORE_UNAVAILABLE', error: 'Service Unavailable', message: 'Service Unavailable' })
  const bug = await app.inject('/bug')
  t.equal(bug.statusCode, 500)
  t.same(bug.json(), { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' })
  t.equal((await app.inject('/redirect')).statusCode, 500, 'a status that is not an error status is a 500')
  for (const body of [store.body, bug.body]) t.notMatch(body, /ECONNREFUSED|10\.1\.2\.3|secret/, 'nothing internal in the answer')
  const errors = logs.lines.filter((line) => line.level === 50)
  t.equal(errors.length, 3)
  t.match(errors[0], { msg: /ECONNREFUSED 10\.1\.2\.3/, err: { code: 'FST_AIFLOW_STORE_UNAVAILABLE', stack: /StoreUnavailableError|FastifyError/ } })
  t.match(errors[1], { err: { message: 'cannot read secret of undefined', stack: /error-answer\.test\.ts/ } })
})

t.test('the plugin answers its routes\' errors this way: a wrong token over HTTP and WebSocket, an unknown call in the live view', async (t) => {
  const liveView = { token: 'a-live-view-token-of-some-length' }
  const { app, logs } = await listen(t, { token: 's3cret', liveView })
  const webhook = await app.inject({ method: 'POST', url: '/webhook', payload: event('session_start') })
  t.equal(webhook.statusCode, 401)
  t.match(webhook.json(), { code: 'FST_AIFLOW_UNAUTHORIZED', message: 'Missing or wrong X-API-TOKEN header' })
  t.match(await refused(app), { statusCode: 401, body: { code: 'FST_AIFLOW_UNAUTHORIZED' } })
  const unknown = await app.inject({ url: '/live/mermaid?call=nobody', headers: { authorization: `Bearer ${liveView.token}` } })
  t.same(unknown.json(), { statusCode: 404, code: 'FST_AIFLOW_UNKNOWN_CALL', error: 'Not Found', message: 'No live call nobody' })
  const lines = refusedLines(logs)
  t.equal(lines.length, 3)
  t.same(lines.map((line) => [line.level, line.statusCode, line.err]), [[30, 401, undefined], [30, 401, undefined], [30, 404, undefined]])
  t.notOk(logs.lines.some((line) => line.level >= 50))
})
