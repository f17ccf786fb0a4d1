import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'
import { buildServer } from '../../examples/app'
import { MENU } from '../../examples/demo-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

t.test("the README's Redis example keeps the call in Redis until it ends", async (t) => {
  process.env.REDIS_URL = url
  // Loaded only now: the example reads REDIS_URL as it loads.
  const app = (require('../../examples/redis-store') as typeof import('../../examples/redis-store')).default
  t.teardown(() => app.close())
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const id = randomUUID()
  t.match(await post(app, event('session_start', id)), { status: 200, body: { type: 'speak', text: 'Hello! Press any key to end the call.' } })
  t.equal(await redis.exists(`hello:{${id}}`), 1)
  t.match(await post(app, event('dtmf_received', id, { digit: '7' })), { body: [{ type: 'speak' }, { type: 'hangup' }] })
  t.equal((await post(app, event('session_end', id))).status, 204)
  t.equal(await redis.exists(`hello:{${id}}`), 0)
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.same([ready.statusCode, ready.json()], [200, { ready: true }], 'its readiness check asks Redis and answers ready')
})

t.test('the demo keeps its calls in Redis when given a URL: two demo servers share a call', async (t) => {
  const first = buildServer({ redisUrl: url })
  const second = buildServer({ redisUrl: url })
  t.teardown(() => first.close())
  t.teardown(() => second.close())
  const id = randomUUID()
  t.match(await post(first, event('session_start', id)), { body: { text: `Welcome to Acme! ${MENU}` } })
  t.match(await post(second, event('dtmf_received', id, { digit: '0' })), { body: { text: MENU } })
  t.match(await post(first, event('dtmf_received', id, { digit: '7' })), { body: { text: `Sorry, 7 is not on the menu. ${MENU}` } })
  t.equal((await post(second, event('session_end', id))).status, 204)
})
