import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { RedisStore } from '../../lib/redis'
import type { SessionStore } from '../../lib'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { redisProxy, type RedisProxy } from '../fixtures/redis-proxy'
import { sharedRedis } from '../fixtures/redis-server'
import { buildApp, event, post, type LogLine } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

interface Setup {
  proxy: RedisProxy
  /** Reaches Redis through the proxy. */
  a: FastifyInstance
  logs: LogLine[]
  /** Reaches Redis directly. */
  b: FastifyInstance
}

async function setup (t: Teardown, replyTimeout = 2000, store?: (url: string, prefix: string) => SessionStore): Promise<Setup> {
  const prefix = `test:${randomUUID()}:`
  const proxy = await redisProxy(t, url)
  // A dropped connection is tried again at once, as ioredis does after its first reconnection delay.
  const through = store?.(proxy.url, prefix) ?? new RedisStore({ url: proxy.url, prefix, redis: { retryStrategy: () => 20 } })
  const { app: a, logs } = await buildApp({ flow: chatFlow(new Gates()), store: through, replyTimeout })
  t.teardown(() => a.close())
  const { app: b } = await buildApp({ flow: chatFlow(new Gates()), store: new RedisStore({ url, prefix }), replyTimeout })
  t.teardown(() => b.close())
  return { proxy, a, logs, b }
}

const press = async (app: FastifyInstance, id: string, digit: string): Promise<{ status: number, body: unknown }> => await post(app, event('dtmf_received', id, { digit }))
const digits = (id: string, text: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text: `Digits: ${text}` })

t.test('a save done by Redis whose answer was lost: the event is answered with its reply, not 503', async (t) => {
  const { proxy, a, logs, b } = await setup(t)
  const id = randomUUID()
  t.same((await press(a, id, '1')).body, digits(id, '1'))
  const lost = proxy.failNextSave('answer-lost')
  const answer = press(a, id, '2')
  await lost
  t.same(await answer, { status: 200, body: digits(id, '12') }, 'answered 200 with the reply computed before the save')
  t.ok(logs.some((line) => line.level === 30 && /save was found done/.test(line.msg)), 'the log says the lost answer was looked into')
  t.notOk(logs.some((line) => line.level >= 40), 'nothing to warn about')
  t.same((await press(b, id, '3')).body, digits(id, '123'), 'the other instance goes on from it')
  t.same((await press(a, id, '4')).body, digits(id, '1234'), 'and so does this one')
})

t.test('a save that never reached Redis, the connection dropped: 503, no effect, and the call\'s lock is free at once', async (t) => {
  const { proxy, a, logs, b } = await setup(t)
  const id = randomUUID()
  t.same((await press(a, id, '1')).body, digits(id, '1'))
  const lost = proxy.failNextSave('never-sent')
  const answer = press(a, id, '2')
  await lost
  t.match(await answer, { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  t.notOk(logs.some((line) => line.level === 40), 'it was found not done: no warning')
  t.notOk(logs.some((line) => /not known/.test(line.err?.message)), 'and the 503\'s error does not say it may have been done')
  // The check let go of the lock the save would have freed: the next event does not wait for its lease.
  const started = Date.now()
  t.same((await press(b, id, '3')).body, digits(id, '13'), 'the refused event has no effect')
  t.ok(Date.now() - started < 1000, 'and the next event does not wait for the lock\'s lease')
})

t.test('a lost answer, Redis away past the reply deadline: 503, and the log says whether the save was done is not known', async (t) => {
  const { proxy, a, logs, b } = await setup(t, 300)
  const id = randomUUID()
  t.same((await press(a, id, '1')).body, digits(id, '1'))
  const lost = proxy.failNextSave('answer-lost')
  const answer = press(a, id, '2')
  await lost
  proxy.down()
  t.match(await answer, { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  const warning = logs.find((line) => line.level === 40)
  t.match(warning, { sessionId: id, msg: /cannot be known within the reply deadline.*may have been applied/ }, 'said at warn')
  t.ok(logs.some((line) => line.level === 50 && /whether the save was done is not known/.test(line.err?.message)), 'and the 503\'s error says so')
  proxy.up()
  t.same((await press(b, id, '3')).body, digits(id, '123'), 'here it had been applied: the case the warning names')
})

for (const [cannot, checkWrite, why] of [
  ['has no way to tell', undefined, /no checkWrite/],
  ['can no longer tell', async () => undefined, /can no longer tell/]
] as const) {
  t.test(`a lost answer with a store that ${cannot} whether a save was done: 503, said at warn`, async (t) => {
    const { proxy, a, logs } = await setup(t, 2000, (through, prefix) => {
      const store = new RedisStore({ url: through, prefix, redis: { retryStrategy: () => 20 } })
      return Object.assign(store, { checkWrite })
    })
    const id = randomUUID()
    t.same((await press(a, id, '1')).body, digits(id, '1'))
    const lost = proxy.failNextSave('answer-lost')
    const answer = press(a, id, '2')
    await lost
    t.match(await answer, { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
    t.match(logs.find((line) => line.level === 40), { sessionId: id, err: { message: why } })
  })
}
