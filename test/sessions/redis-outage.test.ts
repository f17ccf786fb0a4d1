import { randomUUID } from 'node:crypto'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { RedisServer } from '../fixtures/redis-server'
import { event, eventually, post } from '../fixtures/helpers'

type Answer = Awaited<ReturnType<typeof post>>

type Teardown = { teardown: (fn: () => unknown) => void }

interface Setup {
  server: RedisServer
  app: FastifyInstance
  gates: Gates
  logs: Array<{ level: number, msg: string, err?: { code?: string, message?: string } }>
}

/** An app on a redis-server of its own, which the test stops and starts. */
async function setup (t: Teardown): Promise<Setup> {
  const server = await RedisServer.start()
  t.teardown(() => server.destroy())
  const logs: Setup['logs'] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  const gates = new Gates()
  const store = new RedisStore({ url: server.url, commandTimeout: 300, redis: { retryStrategy: () => 20 } })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 1000, store })
  t.teardown(() => app.close())
  return { server, app, gates, logs }
}

const speak = (text: string, sessionId: string): Record<string, unknown> => ({ type: 'speak', session_id: sessionId, text })

/** Posts one event, and says in the test's output how long the answer took. */
async function timed (t: { comment: (message: string) => void }, app: FastifyInstance, body: Record<string, unknown>): Promise<Answer> {
  const started = performance.now()
  const answer = await post(app, body)
  t.comment(`${String(body.type)}: ${answer.status} in ${(performance.now() - started).toFixed(1)} ms`)
  return answer
}

/** Posts `body` until it is not answered 503: events answered 503 were never applied. */
async function whenBack (app: FastifyInstance, body: Record<string, unknown>): Promise<Answer> {
  let answer = await post(app, body)
  await eventually(async () => {
    if (answer.status === 503) answer = await post(app, body)
    return answer.status !== 503
  })
  return answer
}

t.test('Redis stopped and started again: 503s meanwhile, then the same service, nothing lost', async (t) => {
  const { server, app, logs } = await setup(t)
  const id = randomUUID()
  await post(app, event('session_start', id))
  t.same((await post(app, event('user_speak', id, { text: 'one' }))).body, speak('You said one (turn 1)', id))
  t.same((await post(app, event('dtmf_received', id, { digit: '4' }))).body, speak('Digits: 4', id))

  await server.stop()
  for (const body of [event('user_speak', id, { text: 'lost' }), event('dtmf_received', id, { digit: '0' }), event('session_start', randomUUID())]) {
    const answer = await timed(t, app, body)
    t.equal(answer.status, 503)
    t.match(answer.body, { code: 'FST_AIFLOW_STORE_UNAVAILABLE', message: 'Service Unavailable' })
  }
  t.ok(logs.some((line) => line.level === 50 && line.err?.code === 'FST_AIFLOW_STORE_UNAVAILABLE'), 'each 503 is logged as an error')

  await server.start()
  t.same((await whenBack(app, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 2)', id))
  t.same((await post(app, event('dtmf_received', id, { digit: '8' }))).body, speak('Digits: 48', id))
})

t.test('an event whose save fails is answered 503; the next starts from what was saved', async (t) => {
  const { server, app, gates } = await setup(t)
  const id = randomUUID()
  await post(app, event('session_start', id))
  await post(app, event('user_speak', id, { text: 'one' }))
  const lookup = post(app, event('user_speak', id, { text: 'look up weather' }))
  await gates.started('weather')
  await server.stop()
  gates.open('weather')
  t.match(await lookup, { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })

  await server.start()
  // The lock of the event that could not save outlives the restart until its lease runs out.
  t.same((await whenBack(app, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 2)', id))
  t.match(await app.aiFlow.getCall(id), { state: 'idle', context: { turns: 2, digits: '' }, pendingActions: 0 })
})

t.test('a Redis that stops answering: 503 after commandTimeout, never a hang', async (t) => {
  const { server, app, logs } = await setup(t)
  const id = randomUUID()
  await post(app, event('session_start', id))
  server.pause()
  const answer = await timed(t, app, event('user_speak', id, { text: 'one' }))
  t.match(answer, { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE', message: 'Service Unavailable' } })
  t.ok(logs.some((line) => line.level === 50 && /timed out/.test(line.err?.message ?? '')), 'why is logged')
  server.resume()
  const other = randomUUID()
  t.same((await post(app, event('session_start', other))).body, speak('Hello', other), 'other calls are served at once')
  t.same((await whenBack(app, event('user_speak', id, { text: 'two' }))).body, speak('You said two (turn 1)', id))
})

t.test('without redis-server on the PATH the Redis tests fail, saying how to install it', async (t) => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  t.teardown(() => { process.env.PATH = path })
  await t.rejects(RedisServer.start(), { message: /apt-get install redis-server.*TEST_REDIS_URL/s })
})
