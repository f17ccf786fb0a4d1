import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

async function instance (t: Teardown, prefix: string, gates = new Gates()): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 300, store: new RedisStore({ url, prefix }) })
  t.teardown(() => app.close())
  return app
}

function client (t: Teardown): Redis {
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  return redis
}

const speak = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('an event held up past the reply deadline by a lock elsewhere gets 503 CALL_BUSY, and changes nothing', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const app = await instance(t, prefix)
  const id = randomUUID()
  await post(app, event('session_start', id))
  const elsewhere = new RedisStore({ url, prefix })
  t.teardown(() => elsewhere.close())
  const held = await elsewhere.lock(id, { wait: 1000, lease: 10_000, onContention: () => {} })
  t.match(await post(app, event('user_speak', id, { text: 'one' })), { status: 503, body: { code: 'FST_AIFLOW_CALL_BUSY' } })
  await elsewhere.unlock(id, held.token)
  t.same((await post(app, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 1)', id))
})

t.test('an event whose lock was taken over before it saved gets 503 LOCK_LOST, and the next starts from the store', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const app = await instance(t, prefix, gates)
  const redis = client(t)
  const id = randomUUID()
  await post(app, event('session_start', id))
  t.same((await post(app, event('user_speak', id, { text: 'one' }))).body, speak('You said one (turn 1)', id))
  const lookup = post(app, event('user_speak', id, { text: 'look up weather' }))
  await gates.started('weather')
  // As if the lease had run out and another instance had taken the lock.
  await redis.hset(`${prefix}{${id}}`, 'holder', 'another')
  gates.open('weather')
  t.match(await lookup, { status: 503, body: { code: 'FST_AIFLOW_LOCK_LOST' } })
  await redis.hdel(`${prefix}{${id}}`, 'holder')
  t.same((await post(app, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 2)', id))
  t.match(await app.aiFlow.getCall(id), { state: 'idle' }, 'the lookup the lost event began was never stored')
})

const silent: Logger = { child: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

t.test('the sweep drops idle calls from this instance only: the shared store keeps them for the others', async (t) => {
  const store = new RedisStore({ url, prefix: `test:${randomUUID()}:` })
  const registry = new SessionRegistry({
    flow: chatFlow(new Gates()),
    flowVersion: '1',
    flows: {},
    store,
    replyTimeout: 1000,
    sessionTtl: 60_000,
    maxSessions: 10,
    fallback: [],
    log: silent
  })
  t.teardown(() => registry.close())
  const id = randomUUID()
  await registry.dispatch(event('session_start', id) as never, { log: silent })
  t.equal(registry.size, 1)
  registry.sweep(Date.now() + 120_000)
  t.equal(registry.size, 0)
  t.match(await store.get(id), { revision: 1 })
})

t.test('a store with lock must have unlock too', async (t) => {
  const store = { get: async () => undefined, set: async () => {}, delete: async () => {} }
  const register = async (extra: Record<string, unknown>): Promise<unknown> =>
    await Fastify().register(fastifyAiFlow, { flow: chatFlow(new Gates()), store: { ...store, ...extra } as never }).ready()
  await t.rejects(register({ lock: async () => ({}) }), { code: 'FST_AIFLOW_INVALID_OPTION', message: /store.lock must be a function, with store.unlock one too, got a function/ })
  await t.rejects(register({ lock: true, unlock: async () => true }), { message: /store.lock must be a function, with store.unlock one too, got true/ })
})
