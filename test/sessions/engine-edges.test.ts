import t from 'tap'
import { randomUUID } from 'node:crypto'
import { assign, emit, fromCallback, fromPromise } from 'xstate'
import { setupFlow, speak, type FastifyAiFlowOptions, type SessionRecord, type SessionStore } from '../../lib'
import { resolveOptions } from '../../lib/options'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { RedisStore } from '../../lib/redis'
import { TestClock } from '../../lib/testing'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually } from '../fixtures/helpers'
import type { LogLine } from '../fixtures/helpers'

// The registry's own timers never keep a process alive (a server's socket does): this test's does.
const alive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(alive))

/** Remembers every call's signal; a lookup ends when the test says so. */
class Lookups {
  readonly signals: AbortSignal[] = []
  #finish: Array<(text: string) => void> = []

  readonly logic = fromPromise<string>(async ({ signal }) => {
    this.signals.push(signal)
    return await new Promise<string>((resolve) => { this.#finish.push(resolve) })
  })

  finish (text: string): void {
    for (const finish of this.#finish.splice(0)) finish(text)
  }
}

function edgeFlow (lookups: Lookups) {
  return setupFlow({ actors: { lookup: lookups.logic } }).createMachine({
    id: 'edges',
    initial: 'idle',
    states: {
      idle: {
        on: {
          session_start: { actions: emit(speak('Hello')) },
          user_speak: 'looking',
          dtmf_received: 'waiting'
        }
      },
      looking: { invoke: { src: 'lookup', onDone: { target: 'idle', actions: emit(({ event }) => speak(event.output)) } } },
      waiting: { entry: emit(speak('Waiting')), after: { 1000: { target: 'idle', actions: emit(speak('Done waiting')) } } }
    }
  })
}

function logger (lines: LogLine[]): Logger {
  const log = (level: number) => (obj: object, msg?: string) => { lines.push({ level, msg: msg ?? '', ...obj }) }
  const it = { child: () => it, debug: log(20), info: log(30), warn: log(40), error: log(50) }
  return it
}

function registry (t: { teardown: (fn: () => unknown) => void }, options: Partial<FastifyAiFlowOptions> & { flow: FastifyAiFlowOptions['flow'] }, clock?: TestClock, lines: LogLine[] = []): SessionRegistry {
  const sessions = new SessionRegistry({ ...resolveOptions(options), clock, log: logger(lines) })
  t.teardown(() => sessions.close())
  return sessions
}

async function send (sessions: SessionRegistry, type: string, id: string, fields?: Record<string, unknown>): Promise<unknown[]> {
  return await sessions.dispatch(event(type, id, fields) as { type: string, session: { id: string } }, { log: logger([]) })
}

/** A store outside the process that does not lock: records as JSON in a map. */
function remoteStore (): SessionStore & { records: Map<string, string> } {
  const records = new Map<string, string>()
  return {
    records,
    get: async (id) => records.has(id) ? JSON.parse(records.get(id) as string) as SessionRecord : undefined,
    set: async (id, record) => { records.set(id, JSON.stringify(record)) },
    delete: async (id) => { records.delete(id) }
  }
}

const say = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('with a store outside the process that does not lock, delays are saved with every event and fire in a turn', async (t) => {
  const clock = new TestClock()
  const store = remoteStore()
  const sessions = registry(t, { flow: edgeFlow(new Lookups()), store }, clock)
  await send(sessions, 'dtmf_received', 'r', { digit: '1' })
  t.match(JSON.parse(store.records.get('r') as string), { timers: [{ dueAt: 1000 }] })
  await clock.advance(1000)
  t.ok(await eventually(() => /Done waiting/.test(store.records.get('r') ?? '')), 'fired, and its turn saved the call')
  t.match(JSON.parse(store.records.get('r') as string), { timers: [], pending: [say('Done waiting', 'r')] })
})

t.test('a delay whose actor is no longer in the call is dropped, and the log says so', async (t) => {
  const store = remoteStore()
  const lines: LogLine[] = []
  const sessions = registry(t, { flow: edgeFlow(new Lookups()), store }, new TestClock(), lines)
  await send(sessions, 'session_start', 'x')
  const record = JSON.parse(store.records.get('x') as string) as SessionRecord
  store.records.set('x', JSON.stringify({ ...record, timers: [{ id: 'old', source: 'gone', target: 'gone', event: { type: 'tick' }, dueAt: 5 }] }))
  await sessions.close()
  const again = registry(t, { flow: edgeFlow(new Lookups()), store }, new TestClock(), lines)
  t.same(await send(again, 'dtmf_received', 'x', { digit: '1' }), [say('Waiting', 'x')], 'the call goes on')
  t.ok(lines.some((line) => line.level === 40 && line.msg.includes('delays of actors no longer in the call') && line.lost?.[0] === 'tick'))
})

t.test('work still running when its call ends is stopped: its signal aborts', async (t) => {
  const lookups = new Lookups()
  const sessions = registry(t, { flow: edgeFlow(lookups), replyTimeout: 10 })
  await send(sessions, 'user_speak', 'e', { text: 'look' })
  t.equal(lookups.signals.length, 1)
  t.equal(lookups.signals[0].aborted, false, 'running past its reply')
  await send(sessions, 'session_end', 'e')
  t.equal(lookups.signals[0].aborted, true, 'aborted when the call ended')
  lookups.finish('too late')
})

t.test('a call woken with nothing kept of it is forgotten; one with an event queued behind stays for it', async (t) => {
  const sessions = registry(t, { flow: edgeFlow(new Lookups()) })
  sessions.wake('nobody')
  sessions.wake('nobody')
  await eventually(() => sessions.size === 0)
  t.equal(sessions.size, 0, 'nothing is held for a call that is not there')
  sessions.wake('caller')
  t.same(await send(sessions, 'session_start', 'caller'), [say('Hello', 'caller')], 'the event behind the empty turn starts the call')
  t.equal(sessions.size, 1)
})

t.test('with a shared store a lock is renewed while a long turn runs, and calls are parked with nothing more to write', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  let renewed = 0
  class CountingStore extends RedisStore {
    override async renew (id: string, token: string, lease: number): Promise<boolean> {
      renewed++
      return await super.renew(id, token, lease)
    }
  }
  const lookups = new Lookups()
  const sessions = registry(t, { flow: edgeFlow(lookups), store: new CountingStore({ url, prefix }), replyTimeout: 5000, liveActors: 0 })
  const id = randomUUID()
  t.same(await send(sessions, 'session_start', id), [say('Hello', id)])
  const looking = send(sessions, 'user_speak', id, { text: 'look' })
  t.ok(await eventually(() => renewed > 0), 'the lease was renewed while the turn waited for its work')
  lookups.finish('Found it')
  t.same(await looking, [say('Found it', id)])
  // Another call's event parks this one; its record is already in the store.
  await send(sessions, 'session_start', randomUUID())
  t.same(await send(sessions, 'dtmf_received', id, { digit: '1' }), [say('Waiting', id)], 'restored from the store')
})

t.test('changes a child makes between turns are kept by one turn, however many there are', async (t) => {
  const store = remoteStore()
  const ticker = fromCallback(({ sendBack }) => {
    const timer = setTimeout(() => { sendBack({ type: 'tick' }); sendBack({ type: 'tick' }) }, 0)
    return () => clearTimeout(timer)
  })
  const flow = setupFlow({ types: { context: {} as { ticks: number } }, actors: { ticker } }).createMachine({
    context: { ticks: 0 },
    invoke: { src: 'ticker' },
    on: { tick: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) } } as never
  })
  let writes = 0
  const counted: SessionStore = { ...store, set: async (id, record, ttl) => { writes++; await store.set(id, record, ttl) } }
  const sessions = registry(t, { flow, store: counted })
  await send(sessions, 'session_start', 'ticking')
  const before = writes
  t.ok(await eventually(() => /"ticks":2/.test(store.records.get('ticking') ?? '')), 'both ticks kept')
  t.equal(writes - before, 1, 'by one turn')
})

t.test('a shared store that cannot renew a lock gets a lease as long as the reply deadline and more', async (t) => {
  const url = await sharedRedis(t)
  const store = new RedisStore({ url, prefix: `test:${randomUUID()}:` })
  Object.defineProperty(store, 'renew', { value: undefined })
  let lease = 0
  const lock = store.lock.bind(store)
  Object.defineProperty(store, 'lock', { value: async (id: string, options: Parameters<typeof lock>[1]) => { lease = options.lease; return await lock(id, options) } })
  const sessions = registry(t, { flow: edgeFlow(new Lookups()), store, replyTimeout: 1000 })
  const id = randomUUID()
  t.same(await send(sessions, 'session_start', id), [say('Hello', id)])
  t.equal(lease, 3000, 'replyTimeout + 2 s, since nothing renews it')
})
