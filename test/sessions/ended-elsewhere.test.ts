import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { fastifyAiFlow, type FastifyAiFlowOptions } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { CallTelemetry } from '../../lib/telemetry'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, keepAlive, post } from '../fixtures/helpers'

// A call ended on one instance is over on every instance: none runs its
// work again, writes it back, holds it, or reports it expired.

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

async function instance (t: Teardown, prefix: string, gates: Gates, options: Partial<FastifyAiFlowOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 200, store: new RedisStore({ url, prefix }), ...options })
  t.teardown(() => app.close())
  return app
}

function client (t: Teardown): Redis {
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  return redis
}

t.test('session_end on another instance neither runs the call\'s work again nor brings the ended call back', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await instance(t, prefix, gates)
  const b = await instance(t, prefix, gates)
  const redis = client(t)
  const id = randomUUID()
  await post(a, event('session_start', id))
  // The lookup runs on a past the reply deadline: the record names a as its owner.
  t.equal((await post(a, event('user_speak', id, { text: 'look up weather' }))).status, 204)
  await gates.started('weather')
  t.equal((await post(b, event('session_end', id))).status, 204)
  t.equal(gates.runs.get('weather'), 1, 'b did not start the lookup a runs')
  t.ok(await eventually(() => a.aiFlow.liveCalls === 0), 'a let go of the call it heard had ended')
  // The lookup a ran ends now: nothing of the call is written again.
  gates.open('weather')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(await redis.exists(`${prefix}{${id}}`), 0, 'the ended call is not back in the store')
  t.equal(await redis.zscore(`${prefix}due`, id), null)
})

t.test('a call ended on another instance is let go of at once: it takes no place under maxSessions', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await instance(t, prefix, gates, { maxSessions: 1 })
  const b = await instance(t, prefix, gates)
  const first = randomUUID()
  await post(a, event('session_start', first))
  await post(b, event('session_end', first))
  t.ok(await eventually(() => a.aiFlow.liveCalls === 0), 'a heard that the call ended')
  t.equal((await post(a, event('session_start', randomUUID()))).status, 200, 'a new call is taken')
})

t.test('an event for a call whose end this instance missed begins a new call, not the old copy', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await instance(t, prefix, gates)
  const redis = client(t)
  const id = randomUUID()
  await post(a, event('session_start', id))
  await post(a, event('user_speak', id, { text: 'one' }))
  // As if another instance had ended it and its message had been lost.
  await redis.del(`${prefix}{${id}}`)
  t.same((await post(a, event('user_speak', id, { text: 'hello' }))).body, { type: 'speak', session_id: id, text: 'You said hello (turn 1)' }, 'a new call, not the old copy')
})

const silent: Logger = { child: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** Telemetry whose ends are seen by the test. */
class SeenTelemetry extends CallTelemetry {
  readonly ended: Array<[string, string]> = []
  readonly left: string[] = []
  #waiting: { count: number, resolve: () => void } | undefined

  constructor () {
    super({ flowVersion: '1', log: { info: () => {} }, api: undefined })
  }

  /** Resolves once `count` calls have ended or left, in all. */
  told (count: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = { count, resolve }
      this.#told()
    })
  }

  #told (): void {
    if (this.#waiting !== undefined && this.ended.length + this.left.length >= this.#waiting.count) this.#waiting.resolve()
  }

  override callEnded (callId: string, end: 'session_end' | 'expired', finalState: unknown, flowVersion?: string): void {
    super.callEnded(callId, end, finalState, flowVersion)
    this.ended.push([callId, end])
    this.#told()
  }

  override callLeft (callId: string): void {
    super.callLeft(callId)
    this.left.push(callId)
    this.#told()
  }
}

function registry (t: Teardown, store: RedisStore, telemetry: SeenTelemetry): SessionRegistry {
  const sessions = new SessionRegistry({
    flow: chatFlow(new Gates()), flowVersion: '1', flows: {}, store, replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log: silent, telemetry
  })
  t.teardown(() => sessions.close())
  return sessions
}

t.test('the sweep never reports expired a call the shared store no longer has; the instance of its last event does report one that expired', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const deaf = new RedisStore({ url, prefix })
  // This instance misses the message that the call ended.
  Object.defineProperty(deaf, 'onEnded', { value: undefined })
  const seenA = new SeenTelemetry()
  const seenB = new SeenTelemetry()
  const a = registry(t, deaf, seenA)
  const b = registry(t, new RedisStore({ url, prefix }), seenB)
  const ended = randomUUID()
  const idle = randomUUID()
  await a.dispatch(event('session_start', ended) as never, { log: silent })
  await b.dispatch(event('session_end', ended) as never, { log: silent })
  t.same(seenB.ended, [[ended, 'session_end']])
  await a.dispatch(event('session_start', idle) as never, { log: silent })
  // b served the idle call once, before a served its last event.
  await b.dispatch(event('user_speak', idle, { text: 'hi' }) as never, { log: silent })
  await a.dispatch(event('user_speak', idle, { text: 'still here' }) as never, { log: silent })
  a.sweep(Date.now() + 120_000)
  t.equal(a.size, 0)
  await seenA.told(2)
  t.same(seenA.ended, [[idle, 'expired']], 'only the call it served last, still in the store, expired')
  t.same(seenA.left, [ended])
  b.sweep(Date.now() + 120_000)
  await seenB.told(2)
  t.same(seenB.ended, [[ended, 'session_end']], 'b served an earlier event of the idle call: a reports it')
  t.same(seenB.left, [idle])
})

/** A Redis store whose next lock fails, as a round trip that times out does: the event gets 503. */
class FailingLockStore extends RedisStore {
  #fail = true

  override async lock (id: string, options: Parameters<RedisStore['lock']>[1]): ReturnType<RedisStore['lock']> {
    if (!this.#fail) return await super.lock(id, options)
    this.#fail = false
    throw new Error('Command timed out')
  }
}

t.test('an instance whose first event of a call failed on the store lets go of the call once it ended elsewhere', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = Fastify({ logger: { level: 'silent' } })
  await a.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 200, store: new FailingLockStore({ url, prefix }) })
  t.teardown(() => a.close())
  const b = await instance(t, prefix, gates)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 503, 'nothing of the call is kept')
  t.equal(a.aiFlow.liveCalls, 1)
  // Both listen on the lock channel before the end is said: a's store has not answered a command yet.
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  t.ok(await eventually(async () => (await redis.pubsub('NUMSUB', `${prefix}locks`))[1] === 2), 'a and b listen')
  // b finds no record of the call: its end says so all the same.
  t.equal((await post(b, event('session_end', id))).status, 204)
  t.ok(await eventually(() => a.aiFlow.liveCalls === 0, 2000), 'a let go of the call it heard had ended')
})

/** An instance that misses the messages that calls ended. */
async function deafInstance (t: Teardown, prefix: string, gates: Gates): Promise<FastifyInstance> {
  const deaf = new RedisStore({ url, prefix })
  Object.defineProperty(deaf, 'onEnded', { value: undefined })
  const app = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 200, store: deaf })
  t.teardown(() => app.close())
  return app
}

t.test('a copy of a call that ended elsewhere never passes for the call begun again under its id at the same revision', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await deafInstance(t, prefix, gates)
  const b = await instance(t, prefix, gates)
  const id = randomUUID()
  // Revision 3 on a: digits 1 and 2.
  await post(a, event('session_start', id))
  await post(a, event('dtmf_received', id, { digit: '1' }))
  t.same((await post(a, event('dtmf_received', id, { digit: '2' }))).body, { type: 'speak', session_id: id, text: 'Digits: 12' })
  t.equal((await post(b, event('session_end', id))).status, 204)
  // The call begins again on b, and is at revision 3 too: no digits.
  await post(b, event('session_start', id))
  await post(b, event('user_speak', id, { text: 'one' }))
  await post(b, event('user_speak', id, { text: 'two' }))
  t.same((await post(a, event('dtmf_received', id, { digit: '9' }))).body, { type: 'speak', session_id: id, text: 'Digits: 9' },
    'a goes on from the call as b left it, not from its copy of the call that ended')
})

t.test('a call begun again on an instance that still holds its copy of the call that ended is a new call: no copy of the old one passes for it', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await deafInstance(t, prefix, gates)
  const b = await deafInstance(t, prefix, gates)
  const c = await instance(t, prefix, gates)
  const id = randomUUID()
  // The call begins on b; a goes on from b's record to revision 2: digit 1.
  await post(b, event('session_start', id))
  t.same((await post(a, event('dtmf_received', id, { digit: '1' }))).body, { type: 'speak', session_id: id, text: 'Digits: 1' })
  t.equal((await post(c, event('session_end', id))).status, 204)
  // b, still holding its copy of the call that ended, begins it again: revision 2 too, no digits.
  await post(b, event('session_start', id))
  t.same((await post(a, event('dtmf_received', id, { digit: '9' }))).body, { type: 'speak', session_id: id, text: 'Digits: 9' },
    'a goes on from the call as b began it again, not from its copy of the call that ended')
})
