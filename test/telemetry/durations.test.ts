import t from 'tap'
import { randomUUID } from 'node:crypto'
import { metrics } from '@opentelemetry/api'
import { Redis } from 'ioredis'
import { MeterProvider, type Histogram } from '@opentelemetry/sdk-metrics'
import { RedisStore } from '../../lib/redis'
import { HeldStore } from '../fixtures/held-store'
import { assistant } from '../fixtures/flows'
import { buildApp, event, eventually, post } from '../fixtures/helpers'
import { TestMetricReader } from '../fixtures/metric-reader'
import { sharedRedis } from '../fixtures/redis-server'

const reader = new TestMetricReader()
const meters = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meters)
t.teardown(async () => { await meters.shutdown() })

// The plugin times with performance.now(): the test moves it on by known amounts while an event waits.
const realNow = performance.now.bind(performance)
let skipped = 0
Object.defineProperty(performance, 'now', { configurable: true, writable: true, value: () => realNow() + skipped })
t.teardown(() => { Reflect.deleteProperty(performance, 'now') })

let url: string
t.before(async () => { url = await sharedRedis(t) })

/** A histogram's point with these attributes: its count, sum and count per bucket. */
async function histogram (name: string, attributes: Record<string, string> = {}): Promise<{ count: number, sum: number, buckets: Map<string, number> }> {
  const point = (await reader.points(name)).find((found) => Object.entries(attributes).every(([key, value]) => found.attributes[key] === value))
  const value = point?.value as Histogram | undefined
  const buckets = new Map<string, number>()
  const { boundaries = [], counts = [] } = value?.buckets ?? {}
  counts.forEach((count, i) => buckets.set(i < boundaries.length ? `le ${boundaries[i]}` : '+Inf', count))
  return { count: value?.count ?? 0, sum: value?.sum ?? 0, buckets }
}

/** What was recorded between two readings: the buckets that gained a value, and the sum added. */
function added (before: Awaited<ReturnType<typeof histogram>>, after: Awaited<ReturnType<typeof histogram>>): { buckets: Record<string, number>, sum: number } {
  const buckets: Record<string, number> = {}
  for (const [bucket, count] of after.buckets) {
    const more = count - (before.buckets.get(bucket) ?? 0)
    if (more > 0) buckets[bucket] = more
  }
  return { buckets, sum: after.sum - before.sum }
}

t.test('the reply, store and lock-wait histograms record seconds: a known wait lands in its bucket', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const store = new HeldStore({ url, prefix })
  const { app } = await buildApp({ flow: assistant, store })
  t.teardown(() => app.close())
  const id = randomUUID()
  await post(app, event('session_start', id))
  const reading = async (): Promise<Array<Awaited<ReturnType<typeof histogram>>>> => await Promise.all([
    histogram('aiflow.lock.wait'),
    histogram('aiflow.store.duration', { operation: 'unlock' }),
    histogram('aiflow.reply.duration', { type: 'user_speak' })
  ])
  const before = await reading()

  // Another instance holds the call's lock: the event lines up behind it and waits 3.5 s.
  const elsewhere = new RedisStore({ url, prefix })
  t.teardown(() => elsewhere.close())
  const held = await elsewhere.lock(id, { wait: 1000, lease: 60_000, onContention: () => {} })
  const hold = store.holdNextSave()
  const reply = post(app, event('user_speak', id, { text: 'repeat hello' }))
  // Its ticket in the lock's line in Redis: the event's wait has begun.
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  t.ok(await eventually(async () => await redis.hlen(`${prefix}{${id}}:queue`) > 0), 'the event lined up behind the lock')
  skipped += 3500
  await elsewhere.unlock(id, held.token)
  // Its save then takes 0.6 s.
  await hold.reached
  skipped += 600
  hold.release()
  t.equal((await reply).status, 200)

  const [lockWait, unlock, replyDuration] = (await reading()).map((after, i) => added(before[i], after))
  // Each value is the time skipped plus the little the test itself took: well inside its bucket.
  t.same(lockWait.buckets, { 'le 5': 1 }, 'the lock wait: 3.5 s, between 2.5 s and 5 s')
  t.ok(lockWait.sum >= 3.5 && lockWait.sum < 4.5, `the lock wait recorded as ${lockWait.sum} s`)
  t.same(unlock.buckets, { 'le 1': 1 }, 'the save: 0.6 s, between 0.5 s and 1 s')
  t.ok(unlock.sum >= 0.6 && unlock.sum < 1, `the save recorded as ${unlock.sum} s`)
  t.same(replyDuration.buckets, { 'le 5': 1 }, 'the reply: 4.1 s from the event\'s arrival, between 2.5 s and 5 s')
  t.ok(replyDuration.sum >= 4.1 && replyDuration.sum < 5, `the reply recorded as ${replyDuration.sum} s`)
})
