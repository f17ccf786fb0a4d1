import t from 'tap'
import { setupFlow, MemoryStore, type SessionRecord, type SessionStore } from '../../lib'
import { resolveOptions } from '../../lib/options'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { CallTelemetry } from '../../lib/telemetry'
import { TestClock } from '../../lib/testing'
import { event } from '../fixtures/helpers'

const silent: Logger = { child: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** A store elsewhere, shared by two registries as two processes one after the other would share it. */
class DistantStore implements SessionStore {
  readonly inner = new MemoryStore()
  async get (id: string): Promise<SessionRecord | undefined> { return await this.inner.get(id) }
  async set (id: string, record: SessionRecord, ttl: number): Promise<void> { await this.inner.set(id, structuredClone(record), ttl) }
  async delete (id: string): Promise<void> { await this.inner.delete(id) }
}

t.test('ending a stored call whose delay is overdue does not run that delay\'s actions on the ending call', async (t) => {
  let reminded = 0
  const flow = setupFlow({}).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'waiting' } },
      waiting: { after: { 1000: { target: 'reminded', actions: () => { reminded++ } } } },
      reminded: {}
    }
  })
  const store = new DistantStore()
  const before = new SessionRegistry({ ...resolveOptions({ flow, store }), clock: new TestClock(), log: silent })
  await before.dispatch(event('session_start', 'o') as never, { log: silent })
  // Another process takes over later, the delay long overdue.
  const clock = new TestClock()
  await clock.advance(5000)
  const after = new SessionRegistry({ ...resolveOptions({ flow, store }), clock, log: silent })
  t.teardown(async () => { await before.close(); await after.close() })
  t.same(await after.dispatch(event('session_end', 'o') as never, { log: silent }), [])
  t.equal(reminded, 0)
  t.equal(await store.get('o'), undefined)
})

for (const telemetered of [true, false]) {
  t.test(`a parked call found gone from its store is reported ended: the calls counted active come down (telemetry ${telemetered ? 'on' : 'off'})`, async (t) => {
    const flow = setupFlow({}).createMachine({ initial: 'idle', states: { idle: {} } })
    const store = new MemoryStore()
    const summaries: Array<{ sessionId: string, call: { outcome: string } }> = []
    const telemetry = telemetered ? new CallTelemetry({ flowVersion: '1', log: { info: (line) => { summaries.push(line as never) } }, api: undefined }) : undefined
    const sessions = new SessionRegistry({ ...resolveOptions({ flow, store, liveActors: 0 }), telemetry, log: silent })
    t.teardown(() => sessions.close())
    await sessions.dispatch(event('session_start', 'p') as never, { log: silent })
    // Another call's event parks this one; its record then expires from the store.
    await sessions.dispatch(event('session_start', 'q') as never, { log: silent })
    t.not(await store.get('p'), undefined, 'parked')
    await store.delete('p')
    sessions.wake('p')
    await sessions.dispatch(event('user_speak', 'q', { text: 'hi' }) as never, { log: silent })
    await new Promise((resolve) => setImmediate(resolve))
    t.same(sessions.ids(), ['q'])
    t.match(summaries, telemetered ? [{ sessionId: 'p', call: { outcome: 'expired' } }] : [])
  })
}
