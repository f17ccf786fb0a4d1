import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, type LockChange, type SessionStore } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { RedisServer } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'

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

t.test('no answered event is lost: Redis stopped and started under load, events alternating between two instances', async (t) => {
  const server = await RedisServer.start()
  t.teardown(() => server.destroy())
  const store = (): RedisStore => new RedisStore({ url: server.url, prefix: 'answered:', commandTimeout: 300 })
  const apps = [await instance(t, store()), await instance(t, store())]
  const calls = Array.from({ length: 20 }, () => randomUUID())
  const events = 30
  let sent = 0
  const outage = (async () => {
    while (sent < calls.length * events / 3) await new Promise((resolve) => setImmediate(resolve))
    await server.stop()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await server.start()
  })()
  const refused: number[] = []
  await Promise.all(calls.map(async (id) => {
    let answered = ''
    t.equal((await post(apps[0], event('session_start', id))).status, 200)
    for (let i = 0; i < events; i++) {
      const digit = String(i % 10)
      const answer = await post(apps[i % 2], event('dtmf_received', id, { digit }))
      sent++
      const digits = digitsOf(answer)
      if (digits === undefined) {
        refused.push(answer.status)
        continue
      }
      // Every event answered before, on either instance, is in the call's state; the refused ones are not.
      if (digits !== answered + digit) t.fail(`call ${id}, event ${i}: answered with "${digits}", expected "${answered + digit}"`)
      answered = digits
    }
  }))
  await outage
  t.ok(refused.length > 0, `the outage refused some events (${refused.length} of ${sent})`)
  t.ok(refused.every((status) => status === 503), 'with 503, and only 503')
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
