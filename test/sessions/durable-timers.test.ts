import t from 'tap'
import { randomUUID } from 'node:crypto'
import { emit, raise } from 'xstate'
import { MemoryStore, collectDigits, setupFlow, speak, type FastifyAiFlowOptions } from '../../lib'
import { resolveOptions } from '../../lib/options'
import { SessionRegistry } from '../../lib/sessions'
import { RedisStore } from '../../lib/redis'
import { TestClock } from '../../lib/testing'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually } from '../fixtures/helpers'

/** Greets, reminds the caller after 5 s of silence, and gives up 5 s later; a key press ends the wait. */
const reminderFlow = setupFlow({}).createMachine({
  id: 'reminder',
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'waiting' } },
    waiting: {
      entry: emit(speak('Press a key')),
      after: { 5000: 'reminded' },
      on: { dtmf_received: 'done' }
    },
    reminded: {
      entry: emit(speak('Still there?')),
      after: { 5000: 'gone' },
      on: { dtmf_received: 'done' }
    },
    gone: { entry: emit(speak('Goodbye')) },
    done: { entry: emit(speak('Thank you')) }
  },
  on: {
    // A delayed raise, for delays that are not `after`.
    user_speak: { actions: raise({ type: 'dtmf_received', digit: '1' } as never, { delay: 2000, id: 'nudge' }) }
  }
})

const quiet = { child: () => quiet, debug () {}, info () {}, warn () {}, error () {} }

function registry (t: { teardown: (fn: () => unknown) => void }, clock: TestClock, options: Partial<FastifyAiFlowOptions> = {}): SessionRegistry {
  const resolved = resolveOptions({ flow: reminderFlow, ...options })
  const sessions = new SessionRegistry({ ...resolved, clock, log: quiet })
  t.teardown(() => sessions.close())
  return sessions
}

function send (sessions: SessionRegistry, type: string, id: string, fields?: Record<string, unknown>): Promise<unknown[]> {
  return sessions.dispatch(event(type, id, fields) as { type: string, session: { id: string } }, { log: quiet })
}

const say = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('a parked call keeps its delays: they fire when due, and lead the next reply', async (t) => {
  const clock = new TestClock()
  const store = new MemoryStore()
  const sessions = registry(t, clock, { store, liveActors: 0 })
  t.same(await send(sessions, 'session_start', 'p'), [say('Press a key', 'p')])
  // Another call's event parks this one.
  await send(sessions, 'assistant_speech_ended', 'other')
  t.equal(store.size, 1, 'the call was parked, delay and all')
  t.match(await store.get('p'), { timers: [{ source: '', target: '', dueAt: 5000 }] })
  await clock.advance(4999)
  t.match(await sessions.record('p'), { pending: [] }, 'not before it is due')
  await clock.advance(1)
  t.match(await sessions.record('p'), { pending: [say('Still there?', 'p')], timers: [{ dueAt: 10_000 }] }, 'fired at its due time, and the next delay armed')
  await clock.advance(5000)
  t.same(await send(sessions, 'user_speak', 'p', { text: 'hi' }), [say('Still there?', 'p'), say('Goodbye', 'p')])
})

t.test('a delay fires once, in order with the events of the call', async (t) => {
  const clock = new TestClock()
  const sessions = registry(t, clock)
  await send(sessions, 'session_start', 'o')
  await clock.advance(5000)
  t.same(await send(sessions, 'dtmf_received', 'o', { digit: '1' }), [say('Still there?', 'o'), say('Thank you', 'o')])
  await clock.advance(10_000)
  t.same((await sessions.record('o'))?.pending, [], 'the delay left with its state, and fired no more')
})

t.test('a delayed raise is kept and fires like an after', async (t) => {
  const clock = new TestClock()
  const store = new MemoryStore()
  const sessions = registry(t, clock, { store, liveActors: 0 })
  await send(sessions, 'session_start', 'r')
  await clock.advance(1000)
  await send(sessions, 'user_speak', 'r', { text: 'hello' })
  await send(sessions, 'assistant_speech_ended', 'other')
  t.match(await store.get('r'), { timers: [{ id: 'nudge', event: { type: 'dtmf_received' }, dueAt: 3000 }, { dueAt: 5000 }] })
  await clock.advance(2000)
  t.match(await sessions.record('r'), { pending: [say('Thank you', 'r')], timers: [] }, 'the raised key press ended the wait, and its delay with it')
})

t.test('with a shared store, a delay survives its call moving to another instance', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const clock = new TestClock()
  const a = registry(t, clock, { store: new RedisStore({ url, prefix }) })
  const b = registry(t, clock, { store: new RedisStore({ url, prefix }) })
  const id = randomUUID()
  await send(a, 'session_start', id)
  await clock.advance(3000)
  // Its next event lands on b, which restores the call with 2 s left on the delay.
  t.same(await send(b, 'assistant_speech_ended', id), [])
  t.match(await b.record(id), { timers: [{ dueAt: 5000 }] })
  await clock.advance(2000)
  t.ok(await eventually(async () => (await b.record(id))?.pending.length === 1), 'fired at its due time')
  t.same((await b.record(id))?.pending, [say('Still there?', id)], 'once: the stale copy on a fired nothing that counts')
  t.same(await send(a, 'dtmf_received', id, { digit: '1' }), [say('Still there?', id), say('Thank you', id)])
})

t.test('with a shared store, a delay fires when the instance that armed it is gone', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const clock = new TestClock()
  const store = new RedisStore({ url, prefix })
  const a = registry(t, clock, { store: new RedisStore({ url, prefix }) })
  const b = registry(t, clock, { store })
  const id = randomUUID()
  await send(a, 'session_start', id)
  await a.close()
  t.same(await store.dueCalls(5000, 10), [id], 'the store holds the call due at its first delay')
  // No event comes: b finds the call due on its own, once the instance that armed it has had its chance.
  await clock.advance(5500)
  t.ok(await eventually(async () => (await b.record(id))?.pending.length === 1), 'another instance fired it')
  t.match(await b.record(id), { pending: [say('Still there?', id)], timers: [{ dueAt: 10_500 }] }, 'the next delay runs from when the first fired')
  t.same(await store.dueCalls(10_499, 10), [], 'due again only when the next delay is')
  t.same(await store.dueCalls(10_500, 10), [id])
  await send(b, 'session_end', id)
  t.same(await store.dueCalls(Infinity, 10), [], 'an ended call is due no more')
})

/** Reads a PIN of up to six keys; a pause of 5 s after a key ends it (docs/fragments.md: the pause is durable). */
const pinFlow = setupFlow({}).createMachine({
  id: 'pin',
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'pin' } },
    pin: collectDigits({
      id: 'pin',
      length: 6,
      interDigitTimeout: 5000,
      onDone: { target: 'done', actions: emit(({ event }) => speak(`${event.output.ended as string}: ${event.output.digits as string}`)) }
    }),
    done: {}
  }
})

t.test("with a shared store, collectDigits' pause between keys survives its call moving to another instance", async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const clock = new TestClock()
  const a = registry(t, clock, { flow: pinFlow, store: new RedisStore({ url, prefix }) })
  const b = registry(t, clock, { flow: pinFlow, store: new RedisStore({ url, prefix }) })
  const id = randomUUID()
  await send(a, 'session_start', id)
  await send(a, 'dtmf_received', id, { digit: '4' })
  await clock.advance(3000)
  // The next key lands on b, which restores the call, its digit collector and the collector's pause.
  t.same(await send(b, 'dtmf_received', id, { digit: '2' }), [])
  t.match(await b.record(id), { timers: [{ source: 'pin.digits', target: 'pin.digits', dueAt: 8000 }] }, 'the pause is the collector\'s, from the second key')
  await clock.advance(4999)
  t.same((await b.record(id))?.pending, [], 'not before it is due')
  await clock.advance(1)
  t.ok(await eventually(async () => (await b.record(id))?.pending.length === 1), 'fired on b at its due time')
  t.same((await b.record(id))?.pending, [say('timeout: 42', id)], 'the collector ended on the pause, with both keys')
})
