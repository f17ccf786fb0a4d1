import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { emit, fromPromise } from 'xstate'
import { fastifyAiFlow, setupFlow, speak } from '../../lib'
import { resolveOptions } from '../../lib/options'
import { RedisStore } from '../../lib/redis'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { HeldStore } from '../fixtures/held-store'
import { sharedRedis } from '../fixtures/redis-server'
import { buildApp, event, keepAlive, post } from '../fixtures/helpers'

// Closing while work runs (a booking, a model's stream) stops that work
// through its signal and waits for it; what it says afterwards reaches no one.

/** Starts work on session_start that emits news and ends as `work` says. */
function flow (work: (signal: AbortSignal, tell: (event: { type: 'news' }) => void) => Promise<string>) {
  return setupFlow({
    types: { events: {} as { type: 'news' } },
    actors: { stream: fromPromise<string, undefined, { type: 'news' }>(async ({ signal, emit }) => await work(signal, emit as never)) }
  }).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'busy' } },
      busy: {
        invoke: { src: 'stream', onDone: { target: 'idle', actions: emit(speak('done')) } },
        on: { news: { actions: emit(speak('news')) } }
      }
    }
  })
}

t.test('app.close() while work runs stops it through its signal, waits for it, and nothing it says afterwards crashes the process', async (t) => {
  keepAlive(t)
  const order: string[] = []
  let started!: () => void
  const running = new Promise<void>((resolve) => { started = resolve })
  const { app } = await buildApp({
    flow: flow(async (signal, tell) => {
      started()
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
      order.push('aborted')
      // A model's stream that says one more thing, and then ends, as it stops.
      await Promise.resolve()
      tell({ type: 'news' })
      order.push('settled')
      return 'late'
    }),
    replyTimeout: 20
  })
  await post(app, event('session_start', 'c'))
  await running
  await app.close()
  order.push('closed')
  t.same(order, ['aborted', 'settled', 'closed'])
})

t.test('work that ignores its signal does not hold close for long, and its late end reaches no closed registry', async (t) => {
  keepAlive(t)
  let finish!: (value: string) => void
  let started!: () => void
  const running = new Promise<void>((resolve) => { started = resolve })
  const { app } = await buildApp({
    flow: flow(async () => {
      started()
      return await new Promise<string>((resolve) => { finish = resolve })
    }),
    replyTimeout: 20
  })
  await post(app, event('session_start', 'c'))
  await running
  await app.close()
  // Before the fix, this ended in an unhandled rejection (the call was gone from the closed registry).
  finish('late')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(app.aiFlow.liveCalls, 0)
})

const silent: Logger = { child: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

t.test('a call woken after close (a due-poll answered late) is not adopted', async (t) => {
  const sessions = new SessionRegistry({ ...resolveOptions({ flow: flow(async () => 'x') }), log: silent })
  await sessions.close()
  sessions.wake('late')
  t.equal(sessions.size, 0)
  t.same(sessions.ids(), [])
})

t.test('work that ended while close waited for an event is applied before close goes on: it never runs again on the closed registry', async (t) => {
  keepAlive(t)
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const store = new HeldStore({ url, prefix })
  const app = Fastify({ logger: { level: 'silent' } })
  // The reply does not wait for the lookup: it outlives its event.
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 50, store })
  const id = randomUUID()
  await post(app, event('session_start', id))
  t.equal((await post(app, event('user_speak', id, { text: 'look up weather' }))).status, 204)
  // An event in flight as close begins: its save is held until the lookup has ended.
  const held = store.holdNextSave()
  const digit = post(app, event('dtmf_received', id, { digit: '1' }))
  await held.reached
  gates.open('weather')
  await gates.started('weather')
  await new Promise((resolve) => setImmediate(resolve))
  const closed = app.close()
  held.release()
  t.equal((await digit).status, 200)
  await closed
  t.same(Object.fromEntries(gates.runs), { weather: 1 }, 'the lookup ran once')
  const reader = new RedisStore({ url, prefix })
  t.teardown(() => reader.close())
  t.match(await reader.get(id), { snapshot: { value: 'idle' }, work: [] }, 'its end was kept before the registry closed')
})
