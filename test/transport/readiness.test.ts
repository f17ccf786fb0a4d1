import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, MemoryStore, type SessionStore } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { assistant, deferred } from '../fixtures/flows'
import { LogCollector } from '../fixtures/logs'
import { RedisServer } from '../fixtures/redis-server'
import { eventually, keepAlive } from '../fixtures/helpers'

async function appWith (t: { teardown: (fn: () => unknown) => void }, options: Record<string, unknown> = {}, after: (app: FastifyInstance) => void = () => {}) {
  const logs = new LogCollector()
  const app = Fastify({ logger: { level: 'info', stream: logs } })
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: assistant, readiness: true, ...options })
  after(app)
  await app.ready()
  return { app, logs }
}

const probe = async (app: Awaited<ReturnType<typeof appWith>>['app'], url = '/ready') => {
  const response = await app.inject({ method: 'GET', url })
  return { status: response.statusCode, body: response.json() }
}

/** A store whose every lookup fails or never answers, as a store out of reach does. */
function brokenStore (get: SessionStore['get']): SessionStore {
  const store = new MemoryStore()
  return { get, set: store.set.bind(store), delete: store.delete.bind(store) }
}

test('the readiness check answers 200 while the in-memory store answers', async (t) => {
  const { app, logs } = await appWith(t)
  t.same(await probe(app), { status: 200, body: { ready: true } })
  t.same(await app.aiFlow.readiness(), { ready: true })
  t.same(logs.lines.filter((line) => line.level >= 40), [], 'a passing probe logs nothing at warn')
})

test('the readiness check is off unless asked for', async (t) => {
  const { app } = await appWith(t, { readiness: undefined })
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 404)
  const off = await appWith(t, { readiness: false })
  t.equal((await off.app.inject({ method: 'GET', url: '/ready' })).statusCode, 404)
})

test('the readiness check is served at its own path, after prefix', async (t) => {
  const { app } = await appWith(t, { prefix: '/ai', readiness: { path: '/healthz/ready' } })
  t.equal((await probe(app, '/ai/healthz/ready')).status, 200)
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 404)
})

test('a wrong readiness option throws at registration', async (t) => {
  for (const [readiness, message] of [
    ['yes', /readiness must be true, false or an object, got "yes"/],
    [null, /readiness must be true, false or an object, got null/],
    [{ path: 'ready' }, /readiness.path must be a string starting with \/, got "ready"/],
    [{ timeout: 0 }, /readiness.timeout must be a positive integer, got 0/]
  ] as const) {
    const app = Fastify()
    await t.rejects(async () => await app.register(fastifyAiFlow, { flow: assistant, readiness: readiness as never }).ready(), { code: 'FST_AIFLOW_INVALID_OPTION', message })
  }
})

test('the readiness check answers 503 when the store fails, and logs why at warn', async (t) => {
  const { app, logs } = await appWith(t, { store: brokenStore(async () => { throw new Error('connection refused') }) })
  t.same(await probe(app), { status: 503, body: { ready: false, reason: 'store unreachable' } })
  const line = await logs.waitFor('not ready: the session store did not answer')
  t.equal(line.level, 40)
  t.equal(line.err?.message, 'connection refused')
})

test('the readiness check answers 503 when the store does not answer within its timeout', async (t) => {
  keepAlive(t)
  const { app, logs } = await appWith(t, { store: brokenStore(async () => await new Promise(() => {})), readiness: { timeout: 30 } })
  t.same(await probe(app), { status: 503, body: { ready: false, reason: 'store unreachable' } })
  t.equal((await logs.waitFor('not ready: the session store did not answer')).err?.message, 'no answer within 30 ms')
})

test('the readiness check follows a real Redis stopped and started again', async (t) => {
  const server = await RedisServer.start({ appendOnly: false })
  t.teardown(() => server.destroy())
  const { app } = await appWith(t, { store: new RedisStore({ url: server.url, prefix: 'ready:', commandTimeout: 200 }) })
  t.same(await probe(app), { status: 200, body: { ready: true } })
  await server.stop()
  t.same(await probe(app), { status: 503, body: { ready: false, reason: 'store unreachable' } })
  await server.start()
  t.ok(await eventually(async () => (await probe(app)).status === 200), 'ready again once Redis is back')
})

test('the readiness check answers 503 once close has begun, even for a probe that was asking the store', async (t) => {
  keepAlive(t)
  const asked = deferred()
  const answer = deferred<undefined>()
  const store = new MemoryStore()
  store.get = async () => { asked.resolve(); return await answer.promise }
  // Fastify answers requests that arrive while it closes with its own 503; this one is already in.
  const preClosed = deferred()
  // Runs after the plugin's own preClose hook, which was added first.
  const { app } = await appWith(t, { store }, (app) => app.addHook('preClose', async () => { preClosed.resolve() }))
  const response = app.inject({ method: 'GET', url: '/ready' })
  await asked.promise
  const closed = app.close()
  await preClosed.promise
  t.same(await app.aiFlow.readiness(), { ready: false, reason: 'closing' }, 'closing is known without asking the store')
  answer.resolve(undefined)
  const answered = await response
  t.equal(answered.statusCode, 503)
  t.same(answered.json(), { ready: false, reason: 'closing' })
  await closed
})

test('closing with the in-memory store logs how many live calls it dropped', async (t) => {
  const { app, logs } = await appWith(t)
  for (const id of ['dropped-1', 'dropped-2']) {
    const response = await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'session_start', session: { id, account_id: 'a', phone_number: '+1' } } })
    t.equal(response.statusCode, 200)
  }
  t.equal(app.aiFlow.liveCalls, 2)
  await app.close()
  const [line] = logs.find('closing: 2 live calls dropped, the in-memory store keeps nothing')
  t.equal(line?.level, 40)
  t.equal(line?.liveCalls, 2)
})

test('closing with the in-memory store and one call says so in the singular', async (t) => {
  const { app, logs } = await appWith(t)
  await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'session_start', session: { id: 'dropped-alone', account_id: 'a', phone_number: '+1' } } })
  await app.close()
  t.equal(logs.find('closing: 1 live call dropped, the in-memory store keeps nothing')[0]?.liveCalls, 1)
})

test('closing with the in-memory store and no call says none was dropped', async (t) => {
  const { app, logs } = await appWith(t)
  await app.close()
  t.equal(logs.find('closing: no live call to drop')[0]?.liveCalls, 0)
})

test('closing with a shared store logs no dropped calls: they stay in the store', async (t) => {
  const server = await RedisServer.start({ appendOnly: false })
  t.teardown(() => server.destroy())
  const { app, logs } = await appWith(t, { store: new RedisStore({ url: server.url, prefix: 'kept:' }) })
  await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'session_start', session: { id: 'kept-1', account_id: 'a', phone_number: '+1' } } })
  await app.close()
  t.same(logs.lines.filter((line) => /^closing: /.test(line.msg)), [])
})
