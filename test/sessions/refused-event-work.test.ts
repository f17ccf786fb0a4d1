import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { emit, fromPromise } from 'xstate'
import { fastifyAiFlow, setupFlow, speak } from '../../lib'
import { RedisStore } from '../../lib/redis'
import type { LockChange } from '../../lib/stores/store'
import { Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, keepAlive, post } from '../fixtures/helpers'

// An event answered 503 has no effect: the work it started stops, and the
// caller's retry, on any instance, runs that work once more, alone.

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

/**
 * A Redis store whose next save (`unlock` with a record) fails, having
 * written nothing; the lock is freed all the same, as its lease would be,
 * so that the next event need not wait that out.
 */
class FailingSaveStore extends RedisStore {
  failNextSave = false
  /** The next save is done, but its answer is lost: the caller sees a failure. */
  loseNextAnswer = false
  /** Whether a save was done cannot be told: the store does not answer that. */
  cannotTell = false

  override async checkWrite (id: string, token: string): Promise<boolean | undefined> {
    if (this.cannotTell) throw new Error('Connection is closed.')
    return await super.checkWrite(id, token)
  }

  override async unlock (id: string, token: string, change?: LockChange): Promise<boolean> {
    if (this.failNextSave && change !== undefined && 'set' in change) {
      this.failNextSave = false
      await super.unlock(id, token)
      throw new Error('the store did not answer')
    }
    if (this.loseNextAnswer && change !== undefined && 'set' in change) {
      this.loseNextAnswer = false
      await super.unlock(id, token, change)
      throw new Error('connection reset')
    }
    return await super.unlock(id, token, change)
  }
}

/** Looks up what it hears, until the test opens its gate; each run's signal is kept, in order. */
function lookupFlow (gates: Gates, signals: AbortSignal[]) {
  return setupFlow({
    actors: {
      lookup: fromPromise<string, { topic: string }>(async ({ input, signal }) => {
        signals.push(signal)
        await gates.pass(input.topic)
        return `The ${input.topic} is fine.`
      })
    }
  }).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { user_speak: 'looking' } },
      looking: {
        invoke: {
          src: 'lookup',
          input: ({ event }) => ({ topic: (event as { text: string }).text }),
          onDone: { target: 'idle', actions: emit(({ event }) => speak(event.output)) }
        }
      }
    }
  })
}

async function instance (t: Teardown, store: RedisStore, flow: ReturnType<typeof lookupFlow>, replyTimeout: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow, replyTimeout, store })
  t.teardown(() => app.close())
  return app
}

t.test('the work of an event answered 503 (its save failed) stops, and the retry elsewhere runs it alone', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const signals: AbortSignal[] = []
  const flow = lookupFlow(gates, signals)
  const failing = new FailingSaveStore({ url, prefix })
  // The reply of A does not wait for the lookup; that of B does.
  const a = await instance(t, failing, flow, 50)
  const b = await instance(t, new RedisStore({ url, prefix }), flow, 5000)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 204)

  failing.failNextSave = true
  t.match(await post(a, event('user_speak', id, { text: 'weather' })), { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  t.equal(signals.length, 1, 'the refused event had started its lookup')
  t.ok(signals[0].aborted, 'which stopped once its event was refused')

  // A looks at the call's record once more (the failed write might have been done): the retry comes after.
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  t.ok(await eventually(async () => await redis.hget(`${prefix}{${id}}`, 'holder') === null), 'the lock is free')
  const retry = post(b, event('user_speak', id, { text: 'weather' }))
  await gates.started('weather')
  gates.open('weather')
  t.same(await retry, { status: 200, body: { type: 'speak', session_id: id, text: 'The weather is fine.' } })
  t.equal(signals.length, 2, 'the retry ran the lookup again')
  t.notOk(signals[1].aborted)
})

t.test('the work of an event whose save was done but its answer lost goes on: the event is answered, its save found done', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const signals: AbortSignal[] = []
  const flow = lookupFlow(gates, signals)
  const losing = new FailingSaveStore({ url, prefix })
  const a = await instance(t, losing, flow, 50)
  const b = await instance(t, new RedisStore({ url, prefix }), flow, 50)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 204)

  losing.loseNextAnswer = true
  t.equal((await post(a, event('user_speak', id, { text: 'tides' }))).status, 204, 'answered, not 503')
  t.same(signals.map((signal) => signal.aborted), [false], 'its lookup runs on')
  t.equal((await post(b, event('dtmf_received', id, { digit: '1' }))).status, 204)
  gates.open('tides')
  const reader = new RedisStore({ url, prefix })
  t.teardown(() => reader.close())
  t.ok(await eventually(async () => ((await reader.get(id))?.snapshot as { value?: string } | undefined)?.value === 'idle'), 'the lookup\'s end reached the call')
  t.equal(signals.length, 1, 'run once')
})

t.test('the work of an event whose save was done but its answer lost, which could not be told in time, runs again on its owner, not nowhere', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const signals: AbortSignal[] = []
  const flow = lookupFlow(gates, signals)
  const losing = new FailingSaveStore({ url, prefix })
  const a = await instance(t, losing, flow, 50)
  const b = await instance(t, new RedisStore({ url, prefix }), flow, 50)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 204)

  losing.loseNextAnswer = true
  losing.cannotTell = true
  t.match(await post(a, event('user_speak', id, { text: 'tides' })), { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  t.ok(signals[0].aborted, 'the lookup stopped with its refused event')
  losing.cannotTell = false
  // Its record names A as the lookup's owner all the same: A looks, and runs it again.
  t.ok(await eventually(() => signals.length === 2), 'A ran the lookup again')
  t.notOk(signals[1].aborted)
  // B finds the owner alive, and stands in for it.
  t.equal((await post(b, event('dtmf_received', id, { digit: '1' }))).status, 204)
  t.equal(signals.length, 2, 'B did not run it')
  gates.open('tides')
  const reader = new RedisStore({ url, prefix })
  t.teardown(() => reader.close())
  t.ok(await eventually(async () => (await reader.get(id))?.snapshot !== undefined && ((await reader.get(id))?.snapshot as { value: string }).value === 'idle'), 'the lookup\'s end reached the call')
})
