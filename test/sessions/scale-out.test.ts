import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, newCallId, post, waitFor, type Answer } from '../fixtures/webhook'

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

/**
 * One instance of the app. Its reply deadline is long on purpose: an event
 * held up behind another on a different instance gets through in time only
 * if the other instance heard of it and stopped waiting for its lookup.
 */
async function instance (t: Teardown, gates: Gates, prefix?: string): Promise<FastifyInstance> {
  const app = Fastify()
  const store = prefix === undefined ? undefined : new RedisStore({ url, prefix })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), store, replyTimeout: 10_000 })
  t.teardown(() => app.close())
  return app
}

/**
 * One call, its events alternating between `a` and `b`, several of them
 * overlapping: an event arrives while a lookup started by the one before
 * is still running. Returns every answer, in order.
 */
async function alternatingCall (id: string, a: FastifyInstance, b: FastifyInstance, gates: Gates): Promise<Answer[]> {
  const say = (app: FastifyInstance, type: string, fields?: Record<string, unknown>): Promise<Answer> => post(app, event(id, type, fields))
  const pending = (count: number): Promise<void> =>
    waitFor(async () => (await a.aiFlow.getCall(id))?.pendingActions === count, `${count} actions waiting for the next reply`)
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
  answers.push({ statusCode: 0, body: await b.aiFlow.getCall(id) })
  return answers
}

const speak = (text: string, sessionId: string): Record<string, unknown> => ({ type: 'speak', session_id: sessionId, text })

t.test('a call alternating between two instances gets exactly the replies one instance gives', async (t) => {
  const aloneGates = new Gates()
  const alone = await instance(t, aloneGates)
  // The same call id on both runs: they do not share a store.
  const id = newCallId()
  const expected = await alternatingCall(id, alone, alone, aloneGates)
  t.same(expected, [
    { statusCode: 200, body: speak('Hello', id) },
    { statusCode: 200, body: speak('You said one (turn 1)', id) },
    { statusCode: 204, body: undefined },
    { statusCode: 200, body: speak('Digits: 5', id) },
    { statusCode: 200, body: speak('The weather is fine.', id) },
    { statusCode: 204, body: undefined },
    { statusCode: 200, body: speak('Digits: 59', id) },
    { statusCode: 200, body: [speak('The trains is fine.', id), speak('You said two (turn 2)', id)] },
    { statusCode: 204, body: undefined },
    { statusCode: 0, body: undefined }
  ], 'one instance answers as the flow says')

  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = await instance(t, gates, prefix)
  const b = await instance(t, gates, prefix)
  t.same(await alternatingCall(id, a, b, gates), expected)
  t.ok((gates.runs.get('trains') ?? 0) > 1, 'the instance that took over the call began its lookup again')
})
