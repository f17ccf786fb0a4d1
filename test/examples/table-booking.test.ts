import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { tableBookingFlow, type Bookings } from '../../examples/table-booking'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, post } from '../fixtures/helpers'

/** The restaurant's booking service, faked: every request counted, one booking per key, held until the test lets it answer. */
class FakeBookings implements Bookings {
  readonly requests: string[] = []
  readonly #tables = new Map<string, number>()
  #answer!: () => void
  readonly answered = new Promise<void>((resolve) => { this.#answer = resolve })
  #asked!: () => void
  readonly asked = new Promise<void>((resolve) => { this.#asked = resolve })

  async book ({ idempotencyKey }: { people: number, idempotencyKey: string }): Promise<{ table: number }> {
    this.requests.push(idempotencyKey)
    this.#asked()
    await this.answered
    const table = this.#tables.get(idempotencyKey) ?? this.#tables.size + 1
    this.#tables.set(idempotencyKey, table)
    return { table }
  }

  answer (): void {
    this.#answer()
  }

  get bookings (): number {
    return this.#tables.size
  }
}

async function instance (t: { teardown: (fn: () => unknown) => void }, url: string, prefix: string, bookings: Bookings): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: tableBookingFlow(bookings), store: new RedisStore({ url, prefix }), replyTimeout: 200 })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const say = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('one booking despite a takeover mid-work: the call moves to another instance while its booking runs', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const bookings = new FakeBookings()
  const a = await instance(t, url, prefix, bookings)
  const b = await instance(t, url, prefix, bookings)
  const id = randomUUID()
  t.same((await post(a, event('session_start', id))).body, say('For how many people? Press a key.', id))
  t.same((await post(a, event('dtmf_received', id, { digit: '4' }))).status, 204, 'the booking outlasts the reply deadline')
  await bookings.asked
  // The caller talks: the event lands on b, which takes the call over while a's booking runs.
  t.same((await post(b, event('user_speak', id, { text: 'hello?' }))).body, say('One moment, I am booking your table.', id))
  bookings.answer()
  t.ok(await eventually(async () => (await b.aiFlow.getCall(id))?.pendingActions === 1), 'the booking reached the call')
  t.same((await post(b, event('user_speak', id, { text: 'thanks' }))).body, say('Table 1 is yours.', id))
  t.equal(bookings.requests.length, 1, 'the booking service was asked once')
  t.equal(bookings.bookings, 1, 'one booking')
  t.match(bookings.requests[0], new RegExp(`^${id}:`), 'its key names the call')
})
