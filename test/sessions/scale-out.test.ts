import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, post } from '../fixtures/helpers'
import { caughtUp, countScripts, monitorCommands } from '../fixtures/redis-monitor'
import { durableFlow, DURABLE_FLOW_VERSION } from '../fixtures/durable-flow'

type Answer = Awaited<ReturnType<typeof post>>

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }
type Tap = { ok: (value: unknown, message: string) => void }

/**
 * One instance of the app. Its reply deadline is longer than the test may
 * take, on purpose: an event held up behind another on a different instance
 * gets through only if the other instance heard of it and stopped waiting
 * for its lookup, and an event must not wait for a lookup that runs on
 * another instance.
 */
async function instance (t: Teardown, gates: Gates, prefix?: string): Promise<FastifyInstance> {
  const app = Fastify()
  const store = prefix === undefined ? undefined : new RedisStore({ url, prefix })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), store, replyTimeout: 60_000 })
  t.teardown(() => app.close())
  return app
}

/**
 * One call, its events alternating between `a` and `b`, several of them
 * overlapping: an event arrives while a lookup started by the one before
 * is still running. Returns every answer, in order.
 */
async function alternatingCall (t: Tap, id: string, a: FastifyInstance, b: FastifyInstance, gates: Gates): Promise<Answer[]> {
  const say = (app: FastifyInstance, type: string, fields?: Record<string, unknown>): Promise<Answer> => post(app, event(type, id, fields))
  const pending = async (count: number): Promise<void> => {
    t.ok(await eventually(async () => (await a.aiFlow.getCall(id))?.pendingActions === count), `${count} actions waiting for the next reply`)
  }
  const answers: Answer[] = []
  answers.push(await say(a, 'session_start'))
  answers.push(await say(b, 'user_speak', { text: 'one' }))

  const weather = say(a, 'user_speak', { text: 'look up weather' })
  await gates.started('weather')
  const digit = say(b, 'dtmf_received', { digit: '5' })
  answers.push(await weather, await digit)
  gates.open('weather')
  await pending(1)

  const news = say(a, 'user_speak', { text: 'look up news' })
  await gates.started('news')
  const trains = say(b, 'user_speak', { text: 'look up trains' })
  answers.push(await news)
  await gates.started('trains')
  const nine = say(a, 'dtmf_received', { digit: '9' })
  answers.push(await trains, await nine)
  gates.open('news')
  gates.open('trains')
  await pending(1)

  answers.push(await say(b, 'user_speak', { text: 'two' }))
  answers.push(await say(a, 'session_end'))
  answers.push({ status: 0, body: await b.aiFlow.getCall(id) })
  return answers
}

const speak = (text: string, sessionId: string): Record<string, unknown> => ({ type: 'speak', session_id: sessionId, text })

t.test('a call alternating between two instances gets exactly the replies one instance gives', async (t) => {
  const aloneGates = new Gates()
  const alone = await instance(t, aloneGates)
  // The same call id on both runs: they do not share a store.
  const id = randomUUID()
  const expected = await alternatingCall(t, id, alone, alone, aloneGates)
  t.same(expected, [
    { status: 200, body: speak('Hello', id) },
    { status: 200, body: speak('You said one (turn 1)', id) },
    { status: 204, body: undefined },
    { status: 200, body: speak('Digits: 5', id) },
    { status: 200, body: speak('The weather is fine.', id) },
    { status: 204, body: undefined },
    { status: 200, body: speak('Digits: 59', id) },
    { status: 200, body: [speak('The trains is fine.', id), speak('You said two (turn 2)', id)] },
    { status: 204, body: undefined },
    { status: 0, body: undefined }
  ], 'one instance answers as the flow says')

  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await instance(t, gates, prefix)
  const b = await instance(t, gates, prefix)
  t.same(await alternatingCall(t, id, a, b, gates), expected, 'two instances answer the same')

  const oneGates = new Gates()
  const one = await instance(t, oneGates, `test:${randomUUID()}:`)
  t.same(await alternatingCall(t, id, one, one, oneGates), expected, 'one instance on Redis answers the same')
  t.same(Object.fromEntries(gates.runs), { weather: 1, news: 1, trains: 1 }, 'each lookup ran once: the instance that took the call over stood in for the one running it')
})

t.test('an instance closed in the middle of a call finishes its event, frees the lock, and the other carries the call on', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  const gates = new Gates()
  const a = await instance(t, gates, prefix)
  const b = await instance(t, gates, prefix)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 200)
  t.same((await post(a, event('user_speak', id, { text: 'one' }))).body, speak('You said one (turn 1)', id))

  const lookup = post(a, event('user_speak', id, { text: 'look up weather' }))
  await gates.started('weather')
  const closed = a.close()
  gates.open('weather')
  t.same(await lookup, { status: 200, body: speak('The weather is fine.', id) }, 'the event in flight got its whole reply')
  await closed
  t.equal(await redis.hget(`${prefix}{${id}}`, 'holder'), null, 'no lock is left behind')

  t.same((await post(b, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 2)', id))
  t.same((await post(b, event('dtmf_received', id, { digit: '3' }))).body, speak('Digits: 3', id))
})

t.test('round trips to Redis: one to lock and load, one to save and unlock, per event', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const app = await instance(t, new Gates(), prefix)
  const id = randomUUID()
  await post(app, event('session_start', id))

  const seen: string[][] = []
  await monitorCommands(t, url, (args, source) => {
    // What an instance does every few hundred ms whatever its calls do (saying it lives, asking for due calls and lapsed work leases) is not an event's.
    const background = args[0].toLowerCase() !== 'evalsha' && args.some((arg) => arg.startsWith(`${prefix}instance:`) || arg === `${prefix}due` || arg === `${prefix}work`)
    if (source !== 'lua' && !background && args.some((arg) => arg.startsWith(prefix))) seen.push(args)
  })
  const events = [
    event('user_speak', id, { text: 'one' }),
    event('dtmf_received', id, { digit: '1' }),
    event('user_speak', id, { text: 'two' }),
    event('session_end', id)
  ]
  for (const body of events) t.ok([200, 204].includes((await post(app, body)).status))
  t.ok(await caughtUp(url, prefix, () => seen), 'the monitor to catch up')

  const commands = seen.filter((args) => !args[1].startsWith(`${prefix}marker:`))
  t.equal(commands.length, 2 * events.length, 'two commands per event')
  t.ok(commands.every(([name]) => name.toLowerCase() === 'evalsha'), 'each one a script')
  t.comment(`round trips per event: ${commands.length / events.length}`)
})

t.test('round trips to Redis per event that arms a delay, and per event that starts work', async (t) => {
  const prefix = `test:${randomUUID()}:`
  let finish!: (table: string) => void
  const app = Fastify()
  await app.register(fastifyAiFlow, {
    flow: durableFlow(async () => await new Promise<string>((resolve) => { finish = resolve })),
    flowVersion: DURABLE_FLOW_VERSION,
    store: new RedisStore({ url, prefix }),
    replyTimeout: 100
  })
  t.teardown(() => app.close())
  const id = randomUUID()
  const scripts = await countScripts(t, url, prefix)
  t.equal((await post(app, event('session_start', id))).status, 200)
  t.equal(await scripts.since(), 2, 'an event that arms a delay: 2, the due time rides in the save')
  t.comment('round trips: an event that arms a delay 2, one that starts work outliving its reply 2, and 2 more when the work ends')
  t.equal((await post(app, event('user_speak', id, { text: 'book' }))).status, 204)
  t.equal(await scripts.since(), 2, 'an event that starts work outliving its reply: 2')
  finish('table 1')
  t.ok(await eventually(async () => (await app.aiFlow.getCall(id))?.pendingActions === 1), 'the work ended')
  t.equal(await scripts.since(), 2, 'and 2 more when it ends, for the turn that applies its result')
})
