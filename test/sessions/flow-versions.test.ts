import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { createMachine, emit } from 'xstate'
import { fastifyAiFlow, flowVersionOf, setupFlow, speak, type FastifyAiFlowOptions } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, post } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

const v1 = chatFlow(new Gates())
const v2 = setupFlow().createMachine({
  id: 'chat',
  on: { user_speak: { actions: emit(({ event }) => speak(`Version two heard ${event.text}`)) } }
})

async function instance (t: Teardown, prefix: string, options: Omit<FastifyAiFlowOptions, 'store'>): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { ...options, store: new RedisStore({ url, prefix }) })
  t.teardown(() => app.close())
  return app
}

/** The record as Redis holds it. */
async function stored (t: Teardown, prefix: string, id: string): Promise<{ version: string, failed: boolean, snapshot: unknown }> {
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  return JSON.parse(await redis.hget(`${prefix}{${id}}`, 'record') as string)
}

const speakTo = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('an instance given the older flow in `flows` serves calls started with it, with it', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const old = await instance(t, prefix, { flow: v1, flowVersion: '1' })
  const next = await instance(t, prefix, { flow: v2, flowVersion: '2', flows: { 1: v1 } })
  const id = randomUUID()
  await post(old, event('session_start', id))
  t.same((await post(next, event('user_speak', id, { text: 'one' }))).body, speakTo('You said one (turn 1)', id))
  t.equal((await stored(t, prefix, id)).version, '1', 'the call keeps its version')
  t.same((await post(old, event('user_speak', id, { text: 'two' }))).body, speakTo('You said two (turn 2)', id))

  const fresh = randomUUID()
  t.same((await post(next, event('user_speak', fresh, { text: 'one' }))).body, speakTo('Version two heard one', fresh))
  t.equal((await stored(t, prefix, fresh)).version, '2', 'new calls get the new version')
})

t.test('an instance without the flow a call started with ends it with the fallback, once, and keeps its snapshot out', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const old = await instance(t, prefix, { flow: v1, flowVersion: '1' })
  const next = await instance(t, prefix, { flow: v2, flowVersion: '2' })
  const id = randomUUID()
  await post(old, event('session_start', id))
  await post(old, event('user_speak', id, { text: 'one' }))
  const answer = await post(next, event('user_speak', id, { text: 'two' }))
  t.same(answer.body, [
    speakTo('Sorry, something went wrong on our side. Please call again later.', id),
    { type: 'hangup', session_id: id }
  ])
  t.match(await stored(t, prefix, id), { version: '1', failed: true, snapshot: undefined })
  t.equal((await post(old, event('user_speak', id, { text: 'three' }))).status, 204, 'the old instance sends no second fallback')
  t.match(await next.aiFlow.getCall(id), { status: 'failed' })
})

t.test('the default version is a digest of the flow\'s shape', async (t) => {
  t.equal(flowVersionOf(chatFlow(new Gates())), flowVersionOf(v1), 'the same flow built twice')
  t.not(flowVersionOf(v2), flowVersionOf(v1))
  t.match(flowVersionOf(v1), /^sha256:[\w-]{16}$/)
  const described = (text: string) => createMachine({
    id: 'm',
    initial: 'meta',
    description: text,
    states: { meta: { description: text, meta: { note: text }, on: { go: { target: 'other', description: text } } }, other: {} }
  })
  t.equal(flowVersionOf(described('one')), flowVersionOf(described('two')), 'descriptions and meta are not the shape')
  const tangled = (params: Record<string, unknown>) => createMachine({ id: 'tangled', on: { go: { actions: { type: 'note', params } } } })
  t.equal(flowVersionOf(tangled({ big: 1n })), flowVersionOf(tangled({ big: 2n })), 'a definition that cannot be written out goes by its id')

  const prefix = `test:${randomUUID()}:`
  const old = await instance(t, prefix, { flow: v1 })
  const next = await instance(t, prefix, { flow: v2, flows: { [flowVersionOf(v1)]: v1 } })
  const id = randomUUID()
  await post(old, event('session_start', id))
  t.same((await post(next, event('user_speak', id, { text: 'one' }))).body, speakTo('You said one (turn 1)', id))
  t.equal((await stored(t, prefix, id)).version, flowVersionOf(v1))
})

t.test('`flows` is checked at registration', async (t) => {
  const register = async (flows: unknown, flowVersion?: string): Promise<unknown> =>
    await Fastify().register(fastifyAiFlow, { flow: v2, flowVersion, flows: flows as never }).ready()
  await t.rejects(register([v1]), { code: 'FST_AIFLOW_INVALID_OPTION', message: /flows must be an object of flow versions to machines/ })
  await t.rejects(register('v1'), { message: /flows must be an object/ })
  await t.rejects(register({ 1: 'v1' }), { message: /flows\['1'\] must be an XState v5 machine, got "v1"/ })
  await t.rejects(register({ 2: v1 }, '2'), { message: /flows\['2'\] must be a version other than flowVersion/ })
})
