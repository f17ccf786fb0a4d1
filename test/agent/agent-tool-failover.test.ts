import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { scriptedModel } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { DEMO_ANSWERS } from '../../examples/restaurant-model'
import { sharedRedis } from '../fixtures/redis-server'
import { bookingServer, httpBookings, RESTAURANT_FLOW_VERSION } from '../fixtures/booking-service'
import { event, eventually, post, spawnTsx } from '../fixtures/helpers'

/*
 * Luigi's line on two instances sharing Redis, the booking service outside
 * both: the instance running book_table is killed with SIGKILL while the
 * service has booked and not yet answered, and the tool runs again on the
 * other instance with the same key, so the table is booked once.
 */

// Processes start, die and are found dead in real time: more than tap's default of 30 s on a busy machine.
t.setTimeout(180_000)

interface Child { port: number, kill: () => void }

/** Luigi's line in a process of its own (test/fixtures/restaurant-instance.ts). */
async function child (t: { teardown: (fn: () => unknown) => void }, args: string[]): Promise<Child> {
  const fixture = path.join(__dirname, '..', 'fixtures', 'restaurant-instance.ts')
  const process_: ChildProcess = spawnTsx(fixture, [...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { process_.kill('SIGKILL') })
  let output = ''
  const port = await new Promise<number>((resolve) => {
    process_.stdout?.on('data', (chunk) => {
      output += String(chunk)
      const found = /^listening (\d+)$/m.exec(output)
      if (found !== null) resolve(Number(found[1]))
    })
  })
  return { port, kill: () => { process_.kill('SIGKILL') } }
}

async function send (instance: Child, body: unknown): Promise<unknown[]> {
  const response = await fetch(`http://127.0.0.1:${instance.port}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  return said(text === '' ? [] : JSON.parse(text))
}

const said = (body: unknown): unknown[] => [body].flat().map((action: any) => action.text ?? action.type)

t.test('an instance killed while book_table runs: the tool runs again on the other instance with the same key, one table is booked, and the caller hears the confirmation', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const service = await bookingServer(t, { holdFirst: true })
  const a = await child(t, [url, prefix, service.url, '300'])
  const b: FastifyInstance = Fastify()
  await b.register(fastifyAiFlow, {
    flow: restaurantFlow(scriptedModel(DEMO_ANSWERS, { perCall: true }), httpBookings(service.url)),
    flowVersion: RESTAURANT_FLOW_VERSION,
    store: new RedisStore({ url, prefix }),
    replyTimeout: 3000
  })
  await b.ready()
  t.teardown(() => b.close())

  const id = randomUUID()
  t.same(await send(a, event('session_start', id)), ['Welcome to Luigi\'s! How can I help you?'])
  t.same(await send(a, event('user_speak', id, { text: 'A table, please' })), ['Of course!', 'For which day, at what time, and for how many people?'])
  t.same(await send(a, event('user_speak', id, { text: 'Christmas Eve at seven, four of us' })), ['A table for 4 on Christmas Eve at 19:00 is free.', 'Shall I book it?'])
  t.same(await send(a, event('user_speak', id, { text: 'Yes, please' })), ['Let me book that.'], 'answered at the deadline, the booking still running')
  t.ok(await eventually(() => service.keys.length === 1), 'the service got the booking')
  t.equal(service.bookings.size, 1, 'and made it, but the instance never heard back')
  a.kill()

  t.ok(await eventually(() => service.keys.length === 2, 20_000), 'run again once its instance is gone, with no event coming')
  t.same(service.keys, [service.keys[0], service.keys[0]], 'twice, with the same key')
  t.same([...service.bookings.values()], ['L-1'], 'one table booked')
  t.ok(await eventually(async () => (await b.aiFlow.getCall(id))?.pendingActions === 2), 'the confirmation waits for the caller\'s next event')
  t.same(said((await post(b, event('assistant_speech_ended', id))).body), ['Your table is booked. See you at Luigi\'s!', 'hangup'])
  t.match((await b.aiFlow.getCall(id))?.context, { booking: { date: '2026-12-24', time: '19:00', people: 4 } })
})
