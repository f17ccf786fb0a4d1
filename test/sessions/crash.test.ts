import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { durableFlow, DURABLE_FLOW_VERSION, type Book } from '../fixtures/durable-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, post, spawnTsx } from '../fixtures/helpers'

/*
 * Instances killed with SIGKILL: each runs in a process of its own
 * (test/fixtures/instance.ts), and the call carries on in this one.
 */

// Processes start, die and are found dead in real time: more than tap's default of 30 s on a busy machine.
t.setTimeout(180_000)

type Teardown = { teardown: (fn: () => unknown) => void }

interface Child {
  port: number
  /** Resolves with the first match of `pattern` in what the process printed, now or later. */
  printed (pattern: RegExp): Promise<RegExpMatchArray>
  kill (): void
}

async function child (t: Teardown, url: string, prefix: string, replyTimeout: number): Promise<Child> {
  const fixture = path.join(__dirname, '..', 'fixtures', 'instance.ts')
  const process_: ChildProcess = spawnTsx(fixture, [url, prefix, String(replyTimeout)], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { process_.kill('SIGKILL') })
  let output = ''
  const waiting = new Set<() => void>()
  process_.stdout?.on('data', (chunk) => { output += String(chunk); for (const check of waiting) check() })
  const printed = (pattern: RegExp): Promise<RegExpMatchArray> => new Promise((resolve) => {
    const check = (): void => {
      const found = output.match(pattern)
      if (found === null) return
      waiting.delete(check)
      resolve(found)
    }
    waiting.add(check)
    check()
  })
  const [, port] = await printed(/^listening (\d+)$/m)
  return { port: Number(port), printed, kill: () => { process_.kill('SIGKILL') } }
}

async function send (instance: Child, body: unknown): Promise<{ status: number, body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${instance.port}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

async function instance (t: Teardown, url: string, prefix: string, book: Book = async () => await new Promise(() => {})): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: durableFlow(book), flowVersion: DURABLE_FLOW_VERSION, store: new RedisStore({ url, prefix }), replyTimeout: 3000, drainTimeout: 0 })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const say = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('a lock holder killed in the middle of a turn costs the call no turn: its next event is served elsewhere', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const b = await instance(t, url, prefix)
  const a = await child(t, url, prefix, 60_000)
  const id = randomUUID()
  t.same(await send(a, event('session_start', id)), { status: 200, body: say('Hello', id) })
  // This turn waits for its booking, holding the call's lock, when its instance dies.
  send(a, event('user_speak', id, { text: 'book' })).catch(() => {})
  await a.printed(/^work /m)
  a.kill()
  const killedAt = Date.now()
  const answer = await post(b, event('dtmf_received', id, { digit: '5' }))
  t.comment(`served ${Date.now() - killedAt} ms after the lock holder was killed (the lease is 1.5 s, the wait 3 s)`)
  t.equal(answer.status, 200, 'served, not refused with 503')
  const actions = [answer.body].flat() as Array<Record<string, unknown>>
  t.same(actions.at(-1), say('You pressed 5', id), 'from the state last saved: the event the dead instance never answered had no effect')
})

t.test('a delay fires on another instance when the instance that armed it is killed', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const store = new RedisStore({ url, prefix })
  t.teardown(() => store.close())
  const a = await child(t, url, prefix, 3000)
  const id = randomUUID()
  t.same(await send(a, event('session_start', id)), { status: 200, body: say('Hello', id) })
  a.kill()
  const dueAt = (await store.get(id))?.timers?.[0]?.dueAt as number
  t.type(dueAt, 'number', 'the record holds the delay, with its due time')
  const b = await instance(t, url, prefix)
  t.ok(await eventually(async () => (await b.aiFlow.getCall(id))?.pendingActions === 1, 10_000), 'fired without any event coming')
  t.comment(`fired ${Date.now() - dueAt} ms after its due time (read within 10 ms)`)
  t.same(await post(b, event('dtmf_received', id, { digit: '1' })), { status: 200, body: [say('Still there?', id), say('You pressed 1', id)] })
})

t.test('work whose instance is killed runs again on another instance, once, with the same key', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const keys: string[] = []
  const b = await instance(t, url, prefix, async (key) => { keys.push(key); return 'table 7' })
  const a = await child(t, url, prefix, 300)
  const id = randomUUID()
  t.same(await send(a, event('session_start', id)), { status: 200, body: say('Hello', id) })
  t.same(await send(a, event('user_speak', id, { text: 'book' })), { status: 204, body: undefined }, 'answered at the deadline, the booking still running')
  const [, key] = await a.printed(/^work (\S+)$/m)
  t.same(await post(b, event('dtmf_received', id, { digit: '2' })), { status: 200, body: say('You pressed 2', id) })
  t.same(keys, [], 'not run again while its instance lives')
  a.kill()
  const killedAt = Date.now()
  t.ok(await eventually(() => keys.length > 0, 15_000), 'run again once its instance is gone, with no event coming')
  t.ok(await eventually(async () => (await b.aiFlow.getCall(id))?.pendingActions === 1), 'its result reached the call')
  const delivered = Date.now() - killedAt
  t.comment(`taken over: its result reached the call ${delivered} ms after the kill (an announcement lapses after 1000 ms, the store is asked every 200 to 300 ms)`)
  t.ok(delivered < 2000, `within 2 s of the kill (${delivered} ms)`)
  t.same(keys, [key], 'once, with the key it had')
  t.same(await post(b, event('dtmf_received', id, { digit: '3' })), { status: 200, body: [say('Booked: table 7', id), say('You pressed 3', id)] })
})
