import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'
import { RedisStore } from '../../lib/redis'
import { LIVE_CALLS, LIVE_LINES } from '../../lib/stores/redis-live'
import { RedisServer, sharedRedis } from '../fixtures/redis-server'
import { eventually, sleep } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

function setup (t: { teardown: (fn: () => unknown) => void }): { store: RedisStore, redis: Redis, prefix: string } {
  const prefix = `test:${randomUUID()}:`
  const store = new RedisStore({ url, prefix })
  const redis = new Redis(url)
  t.teardown(async () => { await store.close(); await redis.quit() })
  return { store, redis, prefix }
}

t.test('a call on the board: its view and lines expire with the call, and its end removes both', async (t) => {
  const { store, redis, prefix } = setup(t)
  const board = store.liveBoard()
  t.equal(store.liveBoard(), board, 'one board per store')
  t.same(await board.views(10), [], 'an empty board lists nothing')
  await board.put('a', { view: { text: 'view 1', revision: 1 }, lines: [{ order: 2, text: 'second' }, { order: 1, text: 'first' }] }, 5000, 'm')
  t.same(await board.views(10), ['view 1'])
  t.same(await board.lines('a'), ['first', 'second'], 'lines in their order, whatever order they came in')
  for (const key of [`${prefix}live:{a}`, `${prefix}live:{a}:lines`]) {
    const ttl = await redis.pttl(key)
    t.ok(ttl > 4000 && ttl <= 5000, `${key} expires with the call (${ttl} ms)`)
  }
  await board.end('a', 'm')
  t.same(await board.views(10), [])
  t.same(await board.lines('a'), [])
  t.same(await redis.keys(`${prefix}*`), [], 'nothing is left of the call')
})

t.test('a view of an earlier revision is neither kept nor published; lines are', async (t) => {
  const { store } = setup(t)
  const board = store.liveBoard()
  const heard: string[] = []
  board.listen((message) => heard.push(message))
  const stop = board.listen((message) => heard.push(`again ${message}`))
  stop()
  await eventually(async () => {
    await board.put('ready?', {}, 1000, 'ready?')
    return heard.includes('ready?')
  })
  await board.put('a', { view: { text: 'view 2', revision: 2 } }, 5000, 'second')
  await board.put('a', { view: { text: 'view 1', revision: 1 }, lines: [{ order: 1, text: 'line' }] }, 5000, 'first')
  await board.put('a', { lines: [{ order: 2, text: 'more' }] }, 5000, 'lines')
  await eventually(() => heard.includes('lines'))
  t.same(await board.views(10), ['view 2'], 'the later view stays')
  t.same(heard.filter((message) => message !== 'ready?'), ['second', 'lines'], 'the earlier view was not told')
  t.same(await board.lines('a'), ['line', 'more'])
})

t.test('the board is bounded: a call keeps its latest lines, the index its latest calls and none older than their ttl', async (t) => {
  const { store, redis, prefix } = setup(t)
  const board = store.liveBoard()
  const lines = Array.from({ length: LIVE_LINES + 20 }, (_, i) => ({ order: i, text: `line ${i}` }))
  await board.put('long', { lines }, 5000, 'm')
  const kept = await board.lines('long')
  t.equal(kept.length, LIVE_LINES)
  t.equal(kept[0], 'line 20', 'the oldest went')
  await board.put('old', { view: { text: 'old', revision: 1 }, lines: [] }, 50, 'm')
  await new Promise((resolve) => setTimeout(resolve, 100)) // Redis's own clock lets the view expire
  await board.put('new', { view: { text: 'new', revision: 1 } }, 5000, 'm')
  t.same(await redis.zrange(`${prefix}live`, '0', '-1'), ['new'], 'a call past its ttl leaves the index')
  t.same(await board.views(10), ['new'])
  // The index keeps LIVE_CALLS calls: filled directly, then one put trims it.
  const later = Date.now() + 60_000
  const many = Array.from({ length: LIVE_CALLS + 5 }, (_, i) => [String(later + i), `call-${i}`]).flat()
  await redis.zadd(`${prefix}live`, ...many)
  await board.put('newest', { view: { text: 'newest', revision: 1 } }, 120_000, 'm')
  t.equal(await redis.zcard(`${prefix}live`), LIVE_CALLS)
  t.same(await board.views(2), ['newest'], 'index entries whose view has expired are left out')
})

t.test('a store whose board was never asked for listens to nothing for it', async (t) => {
  const { store, redis, prefix } = setup(t)
  await store.get('x')
  t.same(await redis.pubsub('NUMSUB', `${prefix}live`), [`${prefix}live`, 0], 'no one listens to the board')
  store.liveBoard().listen(() => {})
  t.ok(await eventually(async () => (await redis.pubsub('NUMSUB', `${prefix}live`) as [string, number])[1] === 1), 'its first listener does')
})

t.test('after Redis is stopped and started again, the board is heard again: it subscribes anew itself', async (t) => {
  const server = await RedisServer.start({ appendOnly: false })
  t.teardown(() => server.destroy())
  const store = new RedisStore({ url: server.url, prefix: 'live-restart:', commandTimeout: 200 })
  t.teardown(() => store.close())
  const board = store.liveBoard()
  const heard: string[] = []
  board.listen((message) => heard.push(message))
  const say = async (message: string): Promise<boolean> => {
    await board.put('a', {}, 1000, message).catch(() => {})
    return heard.includes(message)
  }
  t.ok(await eventually(async () => await say('before')), 'heard before the restart')
  await server.stop()
  // Long enough for the board's connection to try again and fail meanwhile.
  await sleep(500)
  await server.start()
  t.ok(await eventually(async () => await say('after'), 10_000), 'heard after it')
})
