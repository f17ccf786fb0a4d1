import t from 'tap'
import { emit, type AnyStateMachine } from 'xstate'
import { MemoryStore, setupFlow, speak, type LockChange, type SessionRecord, type SessionStore } from '../../lib'
import { resolveOptions } from '../../lib/options'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { TestClock } from '../../lib/testing'
import { Gates, chatFlow } from '../fixtures/chat-flow'
import { event, keepAlive } from '../fixtures/helpers'

// A store that fails, once or in a way no store should (throwing instead of
// rejecting), costs an event a 503 at most: never a call's later turns, nor the process.

/** Three waits, each after the one before, with nothing in between. */
const stepsFlow = setupFlow({}).createMachine({
  id: 'steps',
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'wait1' } },
    wait1: { after: { 1000: 'wait2' } },
    wait2: { after: { 1000: 'wait3' } },
    wait3: { entry: emit(speak('Done waiting')) }
  }
})

interface Line { level: string, obj: object, msg?: string }

function logger (lines: Line[]): Logger {
  const log: Logger = {
    child: () => log,
    debug: () => {},
    info: (obj, msg) => { lines.push({ level: 'info', obj, msg }) },
    warn: (obj, msg) => { lines.push({ level: 'warn', obj, msg }) },
    error: (obj, msg) => { lines.push({ level: 'error', obj, msg }) }
  }
  return log
}

/** A store elsewhere (not the in-process one): every turn reads it. `failGets` reads fail. */
class FlakyStore implements SessionStore {
  readonly inner = new MemoryStore()
  failGets = 0
  /** While set, a read waits for it before it fails. */
  stall: Promise<void> | undefined
  async get (id: string): Promise<SessionRecord | undefined> {
    if (this.stall !== undefined) {
      await this.stall
      throw new Error('the store did not answer in time')
    }
    if (this.failGets > 0) {
      this.failGets--
      throw new Error('the store did not answer')
    }
    return await this.inner.get(id)
  }

  async set (id: string, record: SessionRecord, ttl: number): Promise<void> { await this.inner.set(id, structuredClone(record), ttl) }
  async delete (id: string): Promise<void> { await this.inner.delete(id) }
}

function registry (t: { teardown: (fn: () => unknown) => void }, store: SessionStore, lines: Line[], clock?: TestClock, flow: AnyStateMachine = stepsFlow): SessionRegistry {
  const sessions = new SessionRegistry({ ...resolveOptions({ flow, store, sessionTtl: 60_000 }), clock, log: logger(lines) })
  t.teardown(() => sessions.close())
  return sessions
}

t.test('a call whose delay came due while its store failed one read is not silent for good: its delays go on firing', async (t) => {
  const clock = new TestClock()
  const store = new FlakyStore()
  const lines: Line[] = []
  const sessions = registry(t, store, lines, clock)
  const log = logger(lines)
  await sessions.dispatch(event('session_start', 'f') as never, { log })
  store.failGets = 1
  // The first delay comes due; the read of its turn fails; the turn is tried again and the second delay follows.
  await clock.advance(10_000)
  t.match(await sessions.get('f'), { state: 'wait3' })
  t.match(lines, [{ level: 'error', msg: /tried again/ }])
})

t.test('a turn without an event that keeps failing is tried again at a pace, not in a loop', async (t) => {
  const clock = new TestClock()
  const store = new FlakyStore()
  const lines: Line[] = []
  const sessions = registry(t, store, lines, clock)
  await sessions.dispatch(event('session_start', 'g') as never, { log: logger(lines) })
  store.failGets = Infinity
  await clock.advance(1000)
  const failures = lines.filter((line) => line.level === 'error').length
  t.equal(failures, 1, 'one failed turn, then a wait')
  await clock.advance(3000)
  t.equal(lines.filter((line) => line.level === 'error').length, 4, 'one more each second')
  store.failGets = 0
  await clock.advance(2000)
  t.match(await sessions.get('g'), { state: 'wait3' })
})

t.test('a turn waiting to be tried again is not tried once the registry has closed', async (t) => {
  const clock = new TestClock()
  const store = new FlakyStore()
  const lines: Line[] = []
  const sessions = registry(t, store, lines, clock)
  await sessions.dispatch(event('session_start', 'h') as never, { log: logger(lines) })
  store.failGets = Infinity
  await clock.advance(1000)
  t.equal(clock.pending, 1, 'the try again is timed')
  await sessions.close()
  t.equal(clock.pending, 0, 'and its timer cleared')
})

t.test('a turn without an event that fails while the registry closes is not tried again: close() leaves no timer', async (t) => {
  const clock = new TestClock()
  const store = new FlakyStore()
  const lines: Line[] = []
  const sessions = registry(t, store, lines, clock)
  await sessions.dispatch(event('session_start', 'i') as never, { log: logger(lines) })
  let answer!: () => void
  store.stall = new Promise((resolve) => { answer = resolve })
  // The first delay comes due: its turn waits for the store's read.
  await clock.advance(1000)
  const closing = sessions.close()
  // Closing waits for the turn, whose read fails now.
  answer()
  await closing
  t.match(lines, [{ level: 'error', msg: /tried again/ }], 'the turn failed')
  t.equal(clock.pending, 0, 'and nothing is left to try it again after close')
})

/** A store whose every method throws at once instead of rejecting: a bug in it, not an outage. */
function throwingStore (shared: boolean): SessionStore & { renewed: Promise<void> } {
  const records = new Map<string, SessionRecord>()
  let renewed!: () => void
  const store = {
    renewed: new Promise<void>((resolve) => { renewed = resolve }),
    get: async (id: string) => records.get(id),
    set: async (id: string, record: SessionRecord) => { records.set(id, record) },
    delete: (): Promise<void> => { throw new Error('delete threw') },
    ...(shared
      ? {
          lock: async (id: string) => ({ record: records.get(id), token: 't' }),
          unlock: async (id: string, _token: string, change?: LockChange) => {
            if (change !== undefined && 'set' in change) records.set(id, change.set)
            return true
          },
          renew: (): Promise<boolean> => {
            renewed()
            throw new Error('renew threw')
          },
          announce: (): Promise<void> => { throw new Error('announce threw') }
        }
      : {})
  }
  return store
}

t.test('the expiry sweep survives a store whose delete throws at once', async (t) => {
  const lines: Line[] = []
  const sessions = registry(t, throwingStore(false), lines)
  await sessions.dispatch(event('session_start', 'e') as never, { log: logger(lines) })
  t.doesNotThrow(() => sessions.sweep(Date.now() + 120_000))
  t.equal(sessions.size, 0)
  await new Promise((resolve) => setImmediate(resolve))
  t.match(lines, [{ level: 'warn', msg: 'deleting an expired call failed', obj: { err: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } } }])
})

t.test('a shared store whose announce and renew throw at once costs no crash: the turn goes on', async (t) => {
  keepAlive(t)
  const gates = new Gates()
  const store = throwingStore(true)
  const lines: Line[] = []
  // Announcing begins as the registry is made.
  const sessions = registry(t, store, lines, undefined, chatFlow(gates))
  const log = logger(lines)
  await sessions.dispatch(event('session_start', 'r') as never, { log })
  const lookup = sessions.dispatch(event('user_speak', 'r', { text: 'look up tides' }) as never, { log })
  // The lease is renewed while the lookup runs: the renewal throws inside a timer.
  await store.renewed
  gates.open('tides')
  t.same(await lookup, [{ type: 'speak', session_id: 'r', text: 'The tides is fine.' }])
})

t.test('an event whose look at who runs its call\'s work fails gets 503, and frees the call\'s lock for the next', async (t) => {
  keepAlive(t)
  const gates = new Gates()
  const records = new Map<string, SessionRecord>()
  const unlocks: Array<LockChange | undefined> = []
  let presentFails = false
  // A shared store in memory: one lock holder at a time is all these events need.
  const store: SessionStore = {
    get: async (id) => records.get(id),
    set: async (id, record) => { records.set(id, record) },
    delete: async (id) => { records.delete(id) },
    lock: async (id) => ({ record: records.get(id), token: 't' }),
    unlock: async (id, _token, change) => {
      unlocks.push(change)
      if (change !== undefined && 'set' in change) records.set(id, structuredClone(change.set))
      return true
    },
    present: async (instances) => {
      if (presentFails) throw new Error('the store did not answer')
      return instances
    }
  }
  const lines: Line[] = []
  const log = logger(lines)
  const instance = (): SessionRegistry => {
    const sessions = new SessionRegistry({ ...resolveOptions({ flow: chatFlow(gates), store, replyTimeout: 50 }), log })
    t.teardown(() => sessions.close())
    return sessions
  }
  const owner = instance()
  const other = instance()
  await owner.dispatch(event('session_start', 'w') as never, { log })
  // The lookup outlives its reply: the record names its owner.
  t.same(await owner.dispatch(event('user_speak', 'w', { text: 'look up rain' }) as never, { log }), [])
  t.match(records.get('w'), { work: [{ key: /^w:/ }] })
  presentFails = true
  await t.rejects(other.dispatch(event('dtmf_received', 'w', { digit: '1' }) as never, { log }), { code: 'FST_AIFLOW_STORE_UNAVAILABLE' })
  t.same(unlocks.at(-1), undefined, 'the lock was freed, with nothing written')
  presentFails = false
  gates.open('rain')
})
