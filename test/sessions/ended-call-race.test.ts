import t from 'tap'
import { assign, emit } from 'xstate'
import { MemoryStore, setupFlow, speak, type SessionRecord, type SessionStore } from '../../lib'
import { SessionRegistry } from '../../lib/sessions'
import { deferred } from '../fixtures/flows'
import { buildApp, event, post, sleep } from '../fixtures/helpers'

/** Counts the caller's turns. */
const turnsFlow = setupFlow({ types: { context: {} as { turns: number } } }).createMachine({
  context: { turns: 0 },
  on: {
    user_speak: { actions: [assign({ turns: ({ context }) => context.turns + 1 }), emit(({ context }) => speak(`turn ${context.turns}`))] }
  }
})

/**
 * A store across a network, as Redis is: every command takes a few ms, and
 * commands run in the order they were sent.
 */
class DistantStore implements SessionStore {
  readonly inner = new MemoryStore()
  #line: Promise<unknown> = Promise.resolve()
  #held: { started: () => void, released: Promise<void> } | undefined

  /** Holds the next delete until `release()`: `started` resolves once it has begun. */
  holdNextDelete (): { started: Promise<void>, release: () => void } {
    const started = deferred()
    const released = deferred()
    this.#held = { started: started.resolve, released: released.promise }
    return { started: started.promise, release: released.resolve }
  }

  #run<T> (command: () => Promise<T>): Promise<T> {
    const next = this.#line.then(() => sleep(5)).then(command)
    this.#line = next.catch(() => {})
    return next
  }

  get (id: string) { return this.#run(() => this.inner.get(id)) }
  set (id: string, record: SessionRecord, ttl: number) { return this.#run(() => this.inner.set(id, structuredClone(record), ttl)) }
  delete (id: string) {
    const held = this.#held
    this.#held = undefined
    return this.#run(async () => {
      held?.started()
      await held?.released
      return await this.inner.delete(id)
    })
  }
}

t.test('an event queued behind session_end and a newer one share one new call: no second actor, no lost turn', async (t) => {
  const store = new DistantStore()
  const handled = new Map<string, () => void>()
  const { app } = await buildApp({ flow: turnsFlow, store }, (app) => app.addHook('preHandler', async (request) => {
    handled.get((request.body as { text?: string }).text ?? '')?.()
  }))
  t.teardown(() => app.close())
  await post(app, event('session_start', 'x'))
  const deleting = store.holdNextDelete()
  const ended = post(app, event('session_end', 'x'))
  const queued = post(app, event('user_speak', 'x', { text: 'queued behind the end' }))
  // Arrives while the ended call is being deleted from the store: the delete waits until it is in.
  await deleting.started
  const arrived = deferred()
  handled.set('newer', arrived.resolve)
  const newer = post(app, event('user_speak', 'x', { text: 'newer' }))
  await arrived.promise
  // The handler hands the event to the registry in the reactions after the hook.
  await new Promise((resolve) => setImmediate(resolve))
  deleting.release()
  t.equal((await ended).status, 204)
  t.same((await queued).body, { type: 'speak', session_id: 'x', text: 'turn 1' })
  t.same((await newer).body, { type: 'speak', session_id: 'x', text: 'turn 2' })
  t.same((await post(app, event('user_speak', 'x', { text: 'later' }))).body, { type: 'speak', session_id: 'x', text: 'turn 3' })
  t.equal(app.aiFlow.liveCalls, 1)
  t.match(await app.aiFlow.getCall('x'), { status: 'active', pendingActions: 0, context: { turns: 3 } })
})

t.test('a call that failed and ended is not failed for the events queued behind its end', async (t) => {
  const failing = setupFlow().createMachine({
    on: {
      dtmf_received: { actions: () => { throw new Error('broken key handler') } },
      user_speak: { actions: emit(speak('still here')) }
    }
  })
  const { app } = await buildApp({ flow: failing, store: new DistantStore() })
  t.teardown(() => app.close())
  await post(app, event('dtmf_received', 'y', { digit: '1' }))
  t.match(await app.aiFlow.getCall('y'), { status: 'failed' })
  const [ended, queued] = await Promise.all([
    post(app, event('session_end', 'y')),
    post(app, event('user_speak', 'y', { text: 'hello?' }))
  ])
  t.equal(ended.status, 204)
  t.same(queued.body, { type: 'speak', session_id: 'y', text: 'still here' })
  t.match(await app.aiFlow.getCall('y'), { status: 'active' })
})

t.test('watchers see a call end, then the call its queued event begins', async (t) => {
  const silent = { child: () => silent, debug () {}, info () {}, warn () {}, error () {} }
  const registry = new SessionRegistry({
    flow: turnsFlow,
    flowVersion: '1',
    flows: {},
    store: new DistantStore(),
    replyTimeout: 1000,
    sessionTtl: 60_000,
    maxSessions: 10,
    fallback: [],
    log: silent
  })
  t.teardown(() => registry.close())
  const seen: Array<[string, boolean]> = []
  registry.watch((id, ended) => { seen.push([id, ended]) })
  await registry.dispatch(event('session_start', 'w') as never, { log: silent })
  await Promise.all([
    registry.dispatch(event('session_end', 'w') as never, { log: silent }),
    registry.dispatch(event('user_speak', 'w', { text: 'still there?' }) as never, { log: silent })
  ])
  t.same(seen, [['w', false], ['w', true], ['w', false]])
  t.same(registry.ids(), ['w'])
})
