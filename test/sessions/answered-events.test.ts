import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, type LockChange, type SessionStore } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { RedisServer } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'
import { eventsThroughRestarts } from '../fixtures/redis-restarts'

// Redis is stopped and started under load: more than tap's default of 30 s on a busy machine.
t.setTimeout(180_000)

async function instance (t: { teardown: (fn: () => unknown) => void }, store: SessionStore): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: chatFlow(new Gates()), store, replyTimeout: 3000 })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

/** The digits a reply says the call has collected, or undefined for an answer that is not a 200. */
function digitsOf (answer: { status: number, body: unknown }): string | undefined {
  if (answer.status !== 200) return undefined
  return /^Digits: (\d*)$/.exec((answer.body as { text: string }).text)?.[1]
}

t.test('no answered event is lost, and none answered 503 was applied: Redis stopped and started under load, events alternating between two instances', async (t) => {
  const server = await RedisServer.start()
  t.teardown(() => server.destroy())
  const store = (): RedisStore => new RedisStore({ url: server.url, prefix: 'answered:', commandTimeout: 300 })
  const apps = [await instance(t, store()), await instance(t, store())]
  const counts = await eventsThroughRestarts(apps, server, { calls: 20, events: 30, restarts: 2, downFor: 300 })
  t.same(counts.broken, [], 'every event answered 200 is in its call\'s state, in order')
  t.ok(counts.refused > 0, `the outages refused some events (${counts.refused} of ${counts.sent})`)
  t.same(counts.otherStatuses, [], 'with 503, and only 503')
  t.equal(counts.appliedYetRefused, 0, 'none of them was applied: a save whose answer was lost is looked into before the answer')
})

/** A real Redis store whose saves fail while `failing` is set, as when Redis is unreachable for a moment. */
class FlakyStore extends RedisStore {
  failing = false

  override async unlock (id: string, token: string, change?: LockChange): Promise<boolean> {
    if (this.failing && change !== undefined && 'set' in change) throw new Error('Connection is closed.')
    return await super.unlock(id, token, change)
  }
}

t.test('an event whose save failed has no effect, on any instance; the copy that held it is never taken for current', async (t) => {
  const server = await RedisServer.start({ appendOnly: false })
  t.teardown(() => server.destroy())
  const flaky = new FlakyStore({ url: server.url, prefix: 'flaky:' })
  const a = await instance(t, flaky)
  const b = await instance(t, new RedisStore({ url: server.url, prefix: 'flaky:' }))
  const id = randomUUID()
  const press = async (app: FastifyInstance, digit: string): Promise<{ status: number, body: unknown }> => await post(app, event('dtmf_received', id, { digit }))
  t.equal(digitsOf(await press(a, '1')), '1')
  flaky.failing = true
  t.equal((await press(a, '2')).status, 503, 'its save failed: 503')
  flaky.failing = false
  t.equal(digitsOf(await press(b, '3')), '13', 'the other instance starts from what was saved')
  t.equal(digitsOf(await press(a, '4')), '134', 'and so does the instance whose save failed: the answered 3 is kept, the refused 2 is not')
  await flaky.close()
})
