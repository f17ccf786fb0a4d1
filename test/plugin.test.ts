import t from 'tap'
import Fastify from 'fastify'
import { createMachine } from 'xstate'
import defaultExport, { fastifyAiFlow, MemoryStore, speak, toMermaid } from '../lib'
import { buildApp, event, post } from './fixtures/helpers'

const flow = createMachine({})

t.test('the default export is the plugin', async (t) => {
  t.equal(defaultExport, fastifyAiFlow)
})

const wrong: Array<[string, Record<string, unknown>, RegExp]> = [
  ['no flow', {}, /flow must be an XState v5 machine .*, got undefined/],
  ['a flow that is a function', { flow: () => {} }, /flow must be .*, got a function/],
  ['a path without a slash', { flow, path: 'webhook' }, /path must be a string starting with \/, got "webhook"/],
  ['an empty token', { flow, token: '' }, /token must be a non-empty string, got ""/],
  ['a numeric token', { flow, token: 1234 }, /token must be a non-empty string, got 1234/],
  ['an empty flowVersion', { flow, flowVersion: '' }, /flowVersion must be a non-empty string/],
  ['a store without methods', { flow, store: {} }, /store must be an object with get, set and delete methods, got \{\}/],
  ['an inspect that is a number', { flow, inspect: 3 }, /inspect must be an inspection observer, got 3/],
  ['a zero replyTimeout', { flow, replyTimeout: 0 }, /replyTimeout must be a positive integer, got 0/],
  ['a fractional sessionTtl', { flow, sessionTtl: 1.5 }, /sessionTtl must be a positive integer, got 1.5/],
  ['a negative drainTimeout', { flow, drainTimeout: -1 }, /drainTimeout must be a whole number of ms from 0 to 2147483647, got -1/],
  ['a drainTimeout too long for a timer', { flow, drainTimeout: 2 ** 31 }, /drainTimeout must be a whole number of ms from 0 to 2147483647, got 2147483648/],
  ['a string drainTimeout', { flow, drainTimeout: '10' }, /drainTimeout must be a whole number of ms from 0 to 2147483647, got "10"/],
  ['a string maxSessions', { flow, maxSessions: '10' }, /maxSessions must be a positive integer, got "10"/],
  ['a negative bodyLimit', { flow, bodyLimit: -1 }, /bodyLimit must be a positive integer, got -1/],
  ['a fallback that is not an array', { flow, fallback: speak('x') }, /fallback must be an array of actions/],
  ['a fallback with an invalid action', { flow, fallback: [{ type: 'speak' }] }, /fallback must be a valid action \(action must have exactly one of text or ssml\)/]
]

t.test('a wrong option throws at register, naming what was given and what is allowed', async (t) => {
  for (const [name, options, message] of wrong) {
    const app = Fastify()
    await t.rejects(async () => {
      await app.register(fastifyAiFlow, options as never)
      await app.ready()
    }, { code: 'FST_AIFLOW_INVALID_OPTION', message }, name)
    await app.close()
  }
})

t.test('every option is taken', async (t) => {
  const { app } = await buildApp({
    flow,
    path: '/calls',
    token: 't',
    replyTimeout: 100,
    sessionTtl: 1000,
    maxSessions: 5,
    bodyLimit: 1024,
    store: new MemoryStore(),
    flowVersion: '7',
    fallback: [],
    inspect: () => {}
  })
  t.teardown(() => app.close())
  t.equal((await post(app, event('session_start'), { 'x-api-token': 't' }, '/calls')).status, 204)
  t.equal((await post(app, event('user_speak', 'x', { text: 'y'.repeat(2000) }), { 'x-api-token': 't' }, '/calls')).status, 413)
})

t.test('the decorator counts live calls', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.equal(app.aiFlow.liveCalls, 0)
  await post(app, event('session_start'))
  t.equal(app.aiFlow.liveCalls, 1)
  t.throws(() => { (app.aiFlow as { liveCalls: number }).liveCalls = 5 }, TypeError, 'read-only')
})

t.test('the package entry exports the diagram generator', async (t) => {
  t.match(toMermaid(createMachine({ id: 'm', initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } })), /stateDiagram-v2[\s\S]*a --> b/)
})
