import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import type { WorkLeases } from '../../lib/stores/store'
import { durableFlow, DURABLE_FLOW_VERSION, type Book } from '../fixtures/durable-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, keepAlive, post, sleep } from '../fixtures/helpers'
import { LogCollector } from '../fixtures/logs'

/*
 * Closing an instance with a shared store: the work still running there
 * either finishes within `drainTimeout`, its result kept with its call, or
 * is handed over at once to another instance, which runs it again with the
 * same key. Nothing waits for the closed instance's announcement to lapse.
 */

// Real time: announcements lapse after 1 s, and some tests wait past that.
t.setTimeout(120_000)

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

interface Instance {
  app: FastifyInstance
  logs: LogCollector
  /** The keys of the bookings this instance started, in order. */
  keys: string[]
}

const never = async (): Promise<string> => await new Promise<string>(() => {})

async function instance (t: Teardown, prefix: string, book: Book, options: { drainTimeout?: number, store?: RedisStore, replyTimeout?: number } = {}): Promise<Instance> {
  const logs = new LogCollector()
  const keys: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: logs } })
  await app.register(fastifyAiFlow, {
    flow: durableFlow(async (key, people) => { keys.push(key); return await book(key, people) }),
    flowVersion: DURABLE_FLOW_VERSION,
    store: options.store ?? new RedisStore({ url, prefix }),
    // The reply goes before the booking ends: the booking outlives its event.
    replyTimeout: options.replyTimeout ?? 100,
    drainTimeout: options.drainTimeout
  })
  await app.ready()
  t.teardown(() => app.close())
  return { app, logs, keys }
}

const say = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

/** A call on `a` whose booking is running there. */
async function booking (t: { same: (found: unknown, wanted: unknown, message: string) => unknown }, a: Instance): Promise<string> {
  const id = randomUUID()
  t.same(await post(a.app, event('session_start', id)), { status: 200, body: say('Hello', id) }, 'the call begins')
  t.same(await post(a.app, event('user_speak', id, { text: 'book' })), { status: 204, body: undefined }, 'answered at the deadline, the booking still running')
  return id
}

t.test('closing lets running work finish within drainTimeout: its result is kept with its call, and no other instance runs it', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  let finish!: (table: string) => void
  const a = await instance(t, prefix, async () => await new Promise<string>((resolve) => { finish = resolve }), { drainTimeout: 10_000 })
  const b = await instance(t, prefix, async () => 'table 9')
  const id = await booking(t, a)
  const closing = a.app.close()
  // Longer than an announcement takes to lapse: the closing instance still says it lives.
  await sleep(1800)
  t.same(b.keys, [], 'not run again elsewhere while it runs on the closing instance')
  finish('table 7')
  await closing
  t.same(await post(b.app, event('dtmf_received', id, { digit: '1' })), { status: 200, body: [say('Booked: table 7', id), say('You pressed 1', id)] }, 'its result was kept, and leads the next reply')
  t.same(b.keys, [], 'run once')
  t.same(a.logs.find('closing: the calls with work still running here are handed over to the other instances'), [], 'nothing was left to hand over: no line says so')
})

t.test('drainTimeout 0 hands running work over at once: another instance runs it again with the same key, without waiting for a lapse', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const a = await instance(t, prefix, never, { drainTimeout: 0 })
  const b = await instance(t, prefix, async () => 'table 9')
  const id = await booking(t, a)
  const closedAt = Date.now()
  await a.app.close()
  t.ok(await eventually(() => b.keys.length > 0), 'run again elsewhere')
  const taken = Date.now() - closedAt
  t.ok(await eventually(async () => (await b.app.aiFlow.getCall(id))?.pendingActions === 1), 'its result reached the call')
  const delivered = Date.now() - closedAt
  t.comment(`handed over: run again ${taken} ms after close() began, its result kept ${delivered} ms after (an announcement lapses after 1000 ms)`)
  t.ok(taken < 900, `run again before the closed instance's announcement could lapse (${taken} ms)`)
  t.same(b.keys, a.keys, 'with the key it had')
  t.same(a.logs.find('closing: the calls with work still running here are handed over to the other instances').map((line) => line.handedOver), [1])
  t.same(await post(b.app, event('dtmf_received', id, { digit: '2' })), { status: 200, body: [say('Booked: table 9', id), say('You pressed 2', id)] })
})

t.test('work that outlasts drainTimeout is handed over once it has passed', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const a = await instance(t, prefix, never, { drainTimeout: 300 })
  const b = await instance(t, prefix, async () => 'table 9')
  const id = await booking(t, a)
  const closedAt = Date.now()
  await a.app.close()
  const closed = Date.now() - closedAt
  t.ok(closed >= 300, `close() waited out drainTimeout (${closed} ms)`)
  t.ok(await eventually(async () => (await b.app.aiFlow.getCall(id))?.pendingActions === 1), 'run again elsewhere, its result kept')
  t.comment(`run again ${Date.now() - closedAt} ms after close() began`)
  t.ok(Date.now() - closedAt < 300 + 900, 'soon after drainTimeout, before any lapse')
  t.same(b.keys, a.keys, 'with the key it had')
})

/** A Redis store that cannot withdraw: `withdraw` fails, or is missing, as in a store written before it existed. */
class BrokenWithdraw extends RedisStore {
  override async withdraw (): Promise<void> {
    throw new Error('the store did not answer')
  }
}

t.test('a withdrawal that fails is logged, and the closed instance lapses instead: its work still runs again elsewhere', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const a = await instance(t, prefix, never, { drainTimeout: 0, store: new BrokenWithdraw({ url, prefix }) })
  const b = await instance(t, prefix, async () => 'table 9')
  const id = await booking(t, a)
  await a.app.close()
  const warned = await a.logs.waitFor('closing: withdrawing from the store failed; the other instances take over the work still running once this instance lapses')
  t.equal(warned.handedOver, 1)
  t.match(warned.err?.message, /the store did not answer/)
  t.ok(await eventually(async () => (await b.app.aiFlow.getCall(id))?.pendingActions === 1, 10_000), 'run again elsewhere once the announcement lapsed')
  t.same(b.keys, a.keys)
})

t.test('a store without withdraw: closing hands nothing over, and the closed instance lapses', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const store = new RedisStore({ url, prefix })
  Object.defineProperty(store, 'withdraw', { value: undefined })
  const a = await instance(t, prefix, never, { drainTimeout: 0, store })
  const b = await instance(t, prefix, async () => 'table 9')
  const id = await booking(t, a)
  await a.app.close()
  t.ok(await eventually(async () => (await b.app.aiFlow.getCall(id))?.pendingActions === 1, 10_000), 'run again elsewhere once the announcement lapsed')
  t.same(b.keys, a.keys)
})

/** A Redis store that notes when each announcement leased which calls. */
class NotedLeases extends RedisStore {
  readonly leased: Array<{ at: number, calls: readonly string[] }> = []

  override async announce (instance: string, ttl: number, leases?: WorkLeases): Promise<void> {
    const at = Date.now()
    await super.announce(instance, ttl, leases)
    this.leased.push({ at, calls: leases?.calls ?? [] })
  }
}

t.test('work that outlives its event is leased at once, not at the next announcement: a kill then is noticed as soon as the lease runs out', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const store = new NotedLeases({ url, prefix })
  // The reply is not held up: the record listing the booking is written within a few ms of its start.
  const a = await instance(t, prefix, never, { store, drainTimeout: 0, replyTimeout: 10 })
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  // Five calls: announcements come every 250 ms, so one might come in time by chance, five hardly.
  for (let round = 0; round < 5; round++) {
    const id = await booking(t, a)
    const answered = Date.now()
    t.ok(await eventually(() => store.leased.some((lease) => lease.calls.includes(id)), 1000), 'leased')
    const leased = (store.leased.find((lease) => lease.calls.includes(id)) as { at: number }).at - answered
    t.ok(leased < 50, `leased ${leased} ms after its event was answered`)
    t.ok(await redis.zscore(`${prefix}work`, id) !== null, 'in the store\'s work index')
  }
})
