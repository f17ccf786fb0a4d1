import t from 'tap'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { Redis } from 'ioredis'
import { RedisStore } from '../../lib/redis'
import type { SessionRecord } from '../../lib'
import { sharedRedis } from '../fixtures/redis-server'
import { eventually } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

/** A store of its own key space, closed when the test ends. */
function store (t: { teardown: (fn: () => unknown) => void }, prefix = `test:${randomUUID()}:`): RedisStore {
  const created = new RedisStore({ url, prefix })
  t.teardown(() => created.close())
  return created
}

function record (revision: number): SessionRecord {
  return {
    version: '1',
    snapshot: { status: 'active', value: 'idle', context: { turns: revision } },
    pending: [],
    session: { id: 'call' },
    failed: false,
    revision,
    startedAt: 1,
    updatedAt: 2
  }
}

const lockOptions = { wait: 2000, lease: 5000, onContention: () => {} }

t.test('set, get and delete a record, with its time to live', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const s = store(t, prefix)
  t.equal(await s.get('a'), undefined)
  await s.set('a', record(1), 60_000)
  t.same(await s.get('a'), record(1))
  const ttl = await redis.pttl(`${prefix}{a}`)
  t.ok(ttl > 0 && ttl <= 60_000, 'the key expires')
  await s.delete('a')
  t.equal(await s.get('a'), undefined)
  t.equal(await redis.exists(`${prefix}{a}`), 0)
})

t.test('lock hands over the record; unlock saves it and frees the lock', async (t) => {
  const s = store(t)
  const first = await s.lock('a', lockOptions)
  t.equal(first.record, undefined, 'a new call has no record')
  t.equal(await s.unlock('a', first.token, { set: record(1), ttl: 60_000 }), true)
  const second = await s.lock('a', lockOptions)
  t.same(second.record, record(1))
  t.not(second.token, first.token, 'every lock gets a new token')
  t.equal(await s.unlock('a', second.token), true)
  t.same(await s.get('a'), record(1), 'unlock without a change keeps the record')
})

t.test('events wait for the lock in the order they reached Redis', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const holder = await store(t, prefix).lock('a', lockOptions)
  const order: string[] = []
  const waiting: Array<Promise<void>> = []
  for (const name of ['first', 'second', 'third']) {
    const instance = store(t, prefix)
    waiting.push(instance.lock('a', lockOptions).then(async ({ token }) => {
      order.push(name)
      await instance.unlock('a', token)
    }))
    t.ok(await eventually(async () => await redis.hlen(`${prefix}{a}:queue`) === waiting.length), `${name} in line`)
  }
  t.equal(await store(t, prefix).unlock('a', holder.token), true)
  await Promise.all(waiting)
  t.same(order, ['first', 'second', 'third'])
})

t.test('the holder hears of every event that lines up behind it', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  let heard = 0
  const first = store(t, prefix)
  const held = await first.lock('a', { ...lockOptions, onContention: () => { heard++ } })
  const second = store(t, prefix)
  const next = second.lock('a', lockOptions)
  t.ok(await eventually(() => heard === 1), 'the holder to hear of the second event')
  const third = store(t, prefix)
  const last = third.lock('a', lockOptions)
  t.ok(await eventually(() => heard === 2), 'the holder to hear of the third event')
  await first.unlock('a', held.token)
  await second.unlock('a', (await next).token)
  await third.unlock('a', (await last).token)
})

t.test('an event that takes the lock with another already behind it hears of that one at once', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const [seconds] = await redis.time()
  // A ticket far behind (tickets count on from the clock in µs), put in line without a word on the channel.
  await redis.hset(`${prefix}{a}:queue`, String(Number(seconds) * 2_000_000), String(Number(seconds) * 1000 + 60_000))
  await redis.pexpire(`${prefix}{a}:queue`, 60_000)
  let heard = 0
  const s = store(t, prefix)
  const { token } = await s.lock('a', { ...lockOptions, onContention: () => { heard++ } })
  t.equal(heard, 1)
  await s.unlock('a', token)
})

t.test('a lock whose holder died frees itself after its lease, and the dead holder can no longer write', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const s = store(t, prefix)
  await s.set('a', record(1), 60_000)
  const dead = await s.lock('a', { ...lockOptions, lease: 300 })
  const next = await store(t, prefix).lock('a', lockOptions)
  t.same(next.record, record(1))
  t.equal(await s.unlock('a', dead.token, { set: record(99), ttl: 60_000 }), false, 'the dead holder is fenced off')
  t.equal(await s.unlock('a', next.token, { set: record(2), ttl: 60_000 }), true)
  t.same(await s.get('a'), record(2))
})

t.test('an event that waits past its deadline gets CALL_BUSY and leaves the line', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const held = await store(t, prefix).lock('a', lockOptions)
  await t.rejects(store(t, prefix).lock('a', { ...lockOptions, wait: 150 }), { code: 'FST_AIFLOW_CALL_BUSY', statusCode: 503 })
  t.ok(await eventually(async () => await redis.exists(`${prefix}{a}:queue`) === 0), 'the line to empty')
  t.equal(await store(t, prefix).unlock('a', held.token), true)
})

t.test('a ticket whose waiter died lapses and holds up no one', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const [seconds] = await redis.time()
  // Ticket 0 comes before any real one, and lapses in a quarter of a second.
  await redis.hset(`${prefix}{a}:queue`, '0', String(Number(seconds) * 1000 + 1250))
  const { token } = await store(t, prefix).lock('a', lockOptions)
  t.equal(await redis.hexists(`${prefix}{a}:queue`, '0'), 0)
  t.equal(await redis.hget(`${prefix}{a}`, 'holder'), token, 'the new event holds the lock')
})

/**
 * A way to Redis that can be held: while held, what the client sends waits
 * in the proxy (counted in `held`), as behind a slow command on its
 * connection; let go, it goes on in order.
 */
async function holdableProxy (t: { teardown: (fn: () => unknown) => void }, to: string): Promise<{ url: string, hold: () => void, release: () => void, held: () => number }> {
  const { hostname, port } = new URL(to)
  let holding = false
  const waiting: Array<() => void> = []
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    upstream.pipe(client)
    client.on('data', (chunk) => {
      if (holding) waiting.push(() => upstream.write(chunk))
      else upstream.write(chunk)
    })
    client.on('close', () => upstream.destroy()).on('error', () => {})
    upstream.on('close', () => client.destroy()).on('error', () => {})
  }).listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.teardown(() => { proxy.close() })
  return {
    url: `redis://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    hold: () => { holding = true },
    release: () => {
      holding = false
      for (const send of waiting.splice(0)) send()
    },
    held: () => waiting.length
  }
}

t.test('a ticket that lapsed while its waiter was held up never takes the lock: its event gets CALL_BUSY, not a turn after later ones', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const holder = store(t, prefix)
  const held = await holder.lock('a', lockOptions)
  // The tickets after the holder's, as they are issued.
  const [two, three, four] = [1, 2, 3].map((n) => String(Number(held.token) + n))
  // The first waiter reaches Redis through a proxy that can hold its commands back.
  const proxy = await holdableProxy(t, url)
  const slow = new RedisStore({ url: proxy.url, prefix, commandTimeout: 10_000 })
  t.teardown(() => slow.close())
  const order: string[] = []
  const first = slow.lock('a', { ...lockOptions, wait: 10_000 }).then(async ({ token }) => {
    order.push('first')
    await slow.unlock('a', token)
  })
  t.ok(await eventually(async () => await redis.hexists(`${prefix}{a}:queue`, two) === 1), 'the first waiter in line with the second ticket')
  // Its next try is held up, its last one answered: its ticket lapses meanwhile.
  proxy.hold()
  t.ok(await eventually(() => proxy.held() > 0), 'the first waiter to try again, held up')
  const [seconds, micros] = await redis.time()
  await redis.hset(`${prefix}{a}:queue`, two, String(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - 1))
  // A later event takes the third ticket, drops the lapsed one, and is served once the holder lets go.
  const later = store(t, prefix)
  const second = later.lock('a', lockOptions).then(async ({ token }) => {
    order.push('second')
    await later.unlock('a', token)
  })
  t.ok(await eventually(async () => await redis.hexists(`${prefix}{a}:queue`, three) === 1), 'the later event in line with the third ticket')
  t.equal(await redis.hexists(`${prefix}{a}:queue`, two), 0, 'the lapsed ticket out of line')
  t.equal(await holder.unlock('a', held.token), true)
  await second
  // The held-up try goes on with the second ticket, after the third was served.
  proxy.release()
  await t.rejects(first, { code: 'FST_AIFLOW_CALL_BUSY', statusCode: 503 })
  t.same(order, ['second'], 'no event served out of arrival order')
  const next = await holder.lock('a', lockOptions)
  t.equal(next.token, four, 'the line goes on')
  await holder.unlock('a', next.token)
})

t.test('unlock can delete the call; a lost token writes nothing', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const s = store(t, prefix)
  await s.set('a', record(1), 60_000)
  const first = await s.lock('a', lockOptions)
  await redis.hset(`${prefix}{a}`, 'holder', 'someone else')
  t.equal(await s.unlock('a', first.token, { delete: true }), false)
  t.same(await s.get('a'), record(1))
  await redis.hdel(`${prefix}{a}`, 'holder')
  const second = await s.lock('a', lockOptions)
  t.equal(await s.unlock('a', second.token, { delete: true }), true)
  t.equal(await redis.exists(`${prefix}{a}`), 0)
})

t.test('a key that is not the store\'s fails every command on it, saving included', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  await redis.set(`${prefix}{a}`, 'something else', 'PX', 60_000)
  const s = store(t, prefix)
  await t.rejects(s.set('a', record(1), 60_000), /WRONGTYPE/)
  await t.rejects(s.get('a'), /WRONGTYPE/)
  await t.rejects(s.lock('a', lockOptions), /WRONGTYPE/)
})

t.test('what Redis holds is not trusted: text that is not JSON is handed on as is', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  await redis.hset(`${prefix}{a}`, 'record', '{not json')
  await redis.pexpire(`${prefix}{a}`, 60_000)
  const s = store(t, prefix)
  t.equal(await s.get('a'), '{not json')
  const { record: locked, token } = await s.lock('a', lockOptions)
  t.equal(locked, '{not json')
  await s.unlock('a', token)
})

t.test('before its first connection a store waits for it, up to commandTimeout', async (t) => {
  const refused = new RedisStore({ url: 'redis://127.0.0.1:1', commandTimeout: 100, redis: { retryStrategy: () => null } })
  await t.rejects(refused.get('a'), /Redis is not connected \(connecting\)/, 'a refused connection fails at once')
  await t.rejects(refused.lock('a', lockOptions), /Redis is not connected \(end\)/, 'and so does one given up meanwhile')
  await t.rejects(refused.delete('a'), /Redis is not connected \(end\)/, 'or given up before')
  await refused.close()

  // A server that takes the connection and never answers.
  const silent = createServer(() => {}).listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { silent.close() })
  const { port } = silent.address() as { port: number }
  const waiting = new RedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeout: 100, redis: { retryStrategy: () => null } })
  await t.rejects(waiting.set('a', record(1), 1000), /Redis is not connected \(connect/)
  await waiting.close()
})

t.test('many commands before the first connection share one wait (no MaxListenersExceededWarning)', async (t) => {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const burst = new RedisStore({ url, prefix: `test:${randomUUID()}:` })
  t.teardown(() => burst.close())
  const ids = Array.from({ length: 50 }, (_, i) => `call-${i}`)
  t.same(await Promise.all(ids.map((id) => burst.get(id))), ids.map(() => undefined), 'every command got its answer')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning'), [])
})

t.test('options are checked', async (t) => {
  t.throws(() => new RedisStore({ url: 6379 as never }), { code: 'FST_AIFLOW_INVALID_OPTION', message: /url must be a string, got 6379/ })
  t.throws(() => new RedisStore({ prefix: null as never }), { message: /prefix must be a string, got null/ })
  t.throws(() => new RedisStore({ commandTimeout: 0 }), { message: /commandTimeout must be a positive integer, got 0/ })
})

t.test('checkWrite tells whether the save of a ticket whose answer was lost was done', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const s = store(t, prefix)
  const save = async (revision: number): Promise<string> => {
    const { token } = await s.lock('a', lockOptions)
    t.equal(await s.unlock('a', token, { set: record(revision), ttl: 60_000 }), true)
    return token
  }
  t.equal(await s.checkWrite('a', '1'), undefined, 'a call Redis does not hold: it can no longer be told')
  await s.set('a', record(1), 60_000)
  const unsaved = await s.lock('a', lockOptions)
  t.equal(await s.checkWrite('a', unsaved.token), false, 'the ticket still holds the lock: not done')
  t.equal(await redis.hexists(`${prefix}{a}`, 'holder'), 0, 'and the lock is let go of, as the save would have')
  const kept = await s.lock('a', lockOptions)
  await s.unlock('a', kept.token)
  t.equal(await s.checkWrite('a', kept.token), false, 'no save since the ticket was issued: not done')
  const first = await save(2)
  t.equal(await s.checkWrite('a', first), true, 'its own save')
  const later = [await save(3), await save(4)]
  t.equal(await s.checkWrite('a', first), true, 'its save, with later ones after it')
  t.equal(await s.checkWrite('a', String(Number(later[1]) + 1)), false, 'a ticket issued after the last save')
  t.equal(await s.checkWrite('a', kept.token), false, 'a ticket older than the saves kept, none of which it made: not done')
  for (let revision = 5; revision <= 10; revision++) await save(revision)
  t.equal((await redis.hget(`${prefix}{a}`, 'written'))?.split(',').length, 8, 'the last 8 saves are kept')
  t.equal(await s.checkWrite('a', first), undefined, 'a save older than those: it can no longer be told')
})
