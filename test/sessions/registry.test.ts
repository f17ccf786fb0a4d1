import t from 'tap'
import { assign, emit, fromCallback, fromPromise } from 'xstate'
import { MemoryStore, setupFlow, speak, type SessionRecord, type SessionStore } from '../../lib'
import { buildApp, event, eventually, post } from '../fixtures/helpers'

/** Counts turns and greets again on a repeated session_start. */
const counterFlow = setupFlow({ types: { context: {} as { starts: number, turns: number, caller?: string } } }).createMachine({
  context: ({ input }) => ({ starts: 0, turns: 0, caller: input.session.from_phone_number }),
  on: {
    session_start: {
      actions: [
        assign({ starts: ({ context }) => context.starts + 1 }),
        emit(({ context }) => speak(context.starts === 1 ? 'Hello!' : 'Welcome back.'))
      ]
    },
    user_speak: {
      actions: [
        assign({ turns: ({ context }) => context.turns + 1 }),
        emit(({ context }) => speak(`Turn ${context.turns}`))
      ]
    }
  }
})

/** A store shared by several apps in one test: closing an app must not empty it. */
function sharedStore (inner = new MemoryStore()): SessionStore & { inner: MemoryStore } {
  return { inner, get: (id) => inner.get(id), set: (id, r, ttl) => inner.set(id, JSON.parse(JSON.stringify(r)), ttl), delete: (id) => inner.delete(id) }
}

t.test('one actor per call, created at session_start with the session as input', async (t) => {
  const { app } = await buildApp({ flow: counterFlow })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'a', { session: { id: 'a', from_phone_number: '+4930123' } }))
  await post(app, event('session_start', 'b'))
  t.equal(app.aiFlow.liveCalls, 2)
  const view = await app.aiFlow.getCall('a')
  t.match(view, { id: 'a', status: 'active', context: { starts: 1, caller: '+4930123' }, pendingActions: 0 })
  t.ok(Object.isFrozen(view) && Object.isFrozen(view?.context), 'the view is read-only')
  t.equal(await app.aiFlow.getCall('nobody'), undefined)
})

t.test('a repeated session_start (transfer fallback) goes to the existing actor', async (t) => {
  const { app } = await buildApp({ flow: counterFlow })
  t.teardown(() => app.close())
  t.same((await post(app, event('session_start'))).body, { type: 'speak', session_id: 'call-1', text: 'Hello!' })
  await post(app, event('user_speak', 'call-1', { text: 'agent please' }))
  t.same((await post(app, event('session_start'))).body, { type: 'speak', session_id: 'call-1', text: 'Welcome back.' })
  t.match(await app.aiFlow.getCall('call-1'), { context: { starts: 2, turns: 1 } })
})

t.test('an event for an unknown call creates its actor', async (t) => {
  const { app } = await buildApp({ flow: counterFlow })
  t.teardown(() => app.close())
  t.same((await post(app, event('user_speak', 'late-joiner', { text: 'hello?' }))).body, {
    type: 'speak', session_id: 'late-joiner', text: 'Turn 1'
  })
})

t.test('session_end stops the actor and frees everything', async (t) => {
  const store = sharedStore()
  const { app } = await buildApp({ flow: counterFlow, store })
  t.teardown(() => app.close())
  await post(app, event('session_start'))
  t.equal(store.inner.size, 1, 'a store that is not in-process gets every event\'s state')
  t.equal((await post(app, event('session_end'))).status, 204)
  t.equal(app.aiFlow.liveCalls, 0)
  t.equal(store.inner.size, 0)
  t.equal(await app.aiFlow.getCall('call-1'), undefined)
  t.equal((await post(app, event('session_end', 'never-seen'))).status, 204, 'an unknown call ending is fine')
  t.equal(app.aiFlow.liveCalls, 0)
})

t.test('idle calls expire after sessionTtl, in memory and in the store', async (t) => {
  const store = new MemoryStore({ sweepInterval: 10 })
  const { app, logs } = await buildApp({ flow: counterFlow, store, sessionTtl: 60 })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'idle'))
  await post(app, event('session_start', 'busy'))
  t.equal(app.aiFlow.liveCalls, 2)
  t.ok(await eventually(() => app.aiFlow.liveCalls === 0 && store.size === 0), 'nothing is left')
  t.ok(logs.some((line) => line.msg === 'call expired' && line.sessionId === 'idle'))
  t.equal(await store.get('idle'), undefined)
})

t.test('a call is not expired while one of its events is being answered', async (t) => {
  const slow = setupFlow({ actors: { wait: fromPromise(() => new Promise((resolve) => setTimeout(resolve, 150))) } }).createMachine({
    initial: 'waiting',
    states: { waiting: { invoke: { src: 'wait', onDone: { target: 'done', actions: emit(speak('Done.')) } } }, done: {} }
  })
  const { app } = await buildApp({ flow: slow, sessionTtl: 20 })
  t.teardown(() => app.close())
  t.same((await post(app, event('session_start'))).body.text, 'Done.')
  t.equal(app.aiFlow.liveCalls, 1, 'the call outlived its TTL while it was busy')
  t.ok(await eventually(() => app.aiFlow.liveCalls === 0), 'and expires once idle')
})

t.test('a cap on live calls answers 503 with a clear log, and frees up as calls end', async (t) => {
  const { app, logs } = await buildApp({ flow: counterFlow, maxSessions: 2 })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'a'))
  await post(app, event('session_start', 'b'))
  t.match(await post(app, event('session_start', 'c')), {
    status: 503, body: { code: 'FST_AIFLOW_TOO_MANY_CALLS', message: 'Service Unavailable' }
  })
  t.ok(logs.some((line) => line.level === 50 && line.msg.includes('live call limit reached') && line.liveCalls === 2))
  t.equal((await post(app, event('user_speak', 'a', { text: 'still here' }))).status, 200, 'live calls are served')
  await post(app, event('session_end', 'a'))
  t.equal((await post(app, event('session_start', 'c'))).status, 200)
})

t.test('at the cap, calls idle past their TTL make room for a new one at once', async (t) => {
  const { app } = await buildApp({ flow: counterFlow, maxSessions: 1, sessionTtl: 60_000 })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'a'))
  const now = Date.now
  Date.now = () => now() + 120_000 // two TTLs later, before the periodic sweep has run
  t.teardown(() => { Date.now = now })
  t.equal((await post(app, event('session_start', 'b'))).status, 200)
  t.equal(app.aiFlow.liveCalls, 1)
  t.equal(await app.aiFlow.getCall('a'), undefined)
})

t.test('calls are kept as persisted snapshots: another instance carries them on', async (t) => {
  const store = sharedStore()
  const one = await buildApp({ flow: counterFlow, store })
  const two = await buildApp({ flow: counterFlow, store })
  t.teardown(() => Promise.all([one.app.close(), two.app.close()]))
  await post(one.app, event('session_start'))
  t.same((await post(two.app, event('user_speak', 'call-1', { text: 'a' }))).body.text, 'Turn 1')
  t.same((await post(one.app, event('user_speak', 'call-1', { text: 'b' }))).body.text, 'Turn 2', 'a stale cached actor is replaced')
  t.same((await post(two.app, event('user_speak', 'call-1', { text: 'c' }))).body.text, 'Turn 3')
  await one.app.close()
  const fresh = await buildApp({ flow: counterFlow, store })
  t.teardown(() => fresh.app.close())
  t.match(await fresh.app.aiFlow.getCall('call-1'), { context: { turns: 3 } }, 'a call is visible on an instance that never served it')
  t.same((await post(two.app, event('session_start'))).body.text, 'Welcome back.')
  t.match(await two.app.aiFlow.getCall('call-1'), { context: { starts: 2, turns: 3 } })
})

t.test('a stored call of another flow version ends gracefully with the fallback', async (t) => {
  const store = sharedStore()
  const v1 = await buildApp({ flow: counterFlow, store, flowVersion: 'v1' })
  const v2 = await buildApp({ flow: counterFlow, store, flowVersion: 'v2' })
  t.teardown(() => Promise.all([v1.app.close(), v2.app.close()]))
  await post(v1.app, event('session_start'))
  const reply = await post(v2.app, event('user_speak', 'call-1', { text: 'hi' }))
  t.same(reply.body.map((action: { type: string }) => action.type), ['speak', 'hangup'])
  t.ok(v2.logs.some((line) => line.err?.code === 'FST_AIFLOW_FLOW_VERSION'))
  t.match(await v2.app.aiFlow.getCall('call-1'), { status: 'failed' })
})

t.test('a corrupt record is not trusted', async (t) => {
  const records: Array<[string, unknown]> = [
    ['not an object', 'garbage'],
    ['no version', { revision: 1 }],
    ['revision not a number', { version: '1', revision: '1' }],
    ['incarnation not a number', { version: '1', revision: 1, incarnation: '7' }],
    ['pending not an array', { version: '1', revision: 1, pending: {} }],
    ['invalid pending action', { version: '1', revision: 1, pending: [{ type: 'explode', session_id: 'call-1' }] }],
    ['pending of another call', { version: '1', revision: 1, pending: [{ type: 'hangup', session_id: 'other' }] }],
    ['failed not a boolean', { version: '1', revision: 1, pending: [], failed: 'no' }],
    ['no session', { version: '1', revision: 1, pending: [], failed: false }],
    ['no snapshot', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' } }],
    ['no startedAt', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' }, snapshot: {} }],
    ['timers not an array', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' }, snapshot: {}, startedAt: 0, timers: {} }],
    ['a timer without its due time', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' }, snapshot: {}, startedAt: 0, timers: [{ id: 't', source: '', target: '', event: { type: 'x' } }] }],
    ['work not an array', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' }, snapshot: {}, startedAt: 0, work: 'w' }],
    ['work without its owner', { version: '1', revision: 1, pending: [], failed: false, session: { id: 'call-1' }, snapshot: {}, startedAt: 0, work: [{ key: 'k', path: 'p' }] }],
    ['a snapshot of another machine', {
      version: '1',
      revision: 1,
      pending: [],
      failed: false,
      session: { id: 'call-1' },
      startedAt: 0,
      updatedAt: 0,
      snapshot: { status: 'active', value: 'no-such-state', context: {}, children: { x: { src: 'missing', snapshot: {} } } }
    }]
  ]
  for (const [name, record] of records) {
    const store: SessionStore = { get: async () => record as SessionRecord, set: async () => {}, delete: async () => {} }
    const { app, logs } = await buildApp({ flow: counterFlow, store, flowVersion: '1' })
    const reply = await post(app, event('user_speak', 'call-1', { text: 'hi' }))
    t.same(reply.body.map((action: { type: string }) => action.type), ['speak', 'hangup'], `${name}: fallback`)
    t.ok(logs.some((line) => line.level === 50 && /FST_AIFLOW_(CORRUPT_RECORD|FLOW_ERROR)/.test(line.err?.code)), `${name}: logged`)
    t.match(await app.aiFlow.getCall('call-1'), { status: 'failed', state: undefined }, `${name}: shown as failed`)
    if (name !== 'a snapshot of another machine') {
      const other = await buildApp({ flow: counterFlow, store, flowVersion: '1' })
      t.equal(await other.app.aiFlow.getCall('call-1'), undefined, `${name}: not shown by an instance that only has the record`)
      await other.app.close()
    }
    await app.close()
  }
})

t.test('a failing store answers 503, a saved record is never changed afterwards, and the call carries on', async (t) => {
  const inner = new MemoryStore()
  let down = false
  let failSaves = false
  const check = async () => { if (down) throw new Error('connection refused') }
  const store: SessionStore = {
    get: async (id) => { await check(); return inner.get(id) },
    set: async (id, record, ttl) => { await check(); if (failSaves) throw new Error('READONLY'); return inner.set(id, record, ttl) },
    delete: async (id) => { await check(); return inner.delete(id) }
  }
  const { app, logs } = await buildApp({ flow: counterFlow, store })
  t.teardown(() => app.close())
  await post(app, event('session_start'))
  down = true
  // What went wrong inside is logged, never told to the caller.
  t.same((await post(app, event('user_speak', 'call-1', { text: 'a' }))).body, {
    statusCode: 503, code: 'FST_AIFLOW_STORE_UNAVAILABLE', error: 'Service Unavailable', message: 'Service Unavailable'
  })
  t.ok(logs.some((line) => line.level === 50 && /connection refused/.test(line.err?.message)))
  t.match(await post(app, event('session_end')), { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  down = false
  failSaves = true
  t.match(await post(app, event('user_speak', 'call-1', { text: 'not saved' })), { status: 503, body: { code: 'FST_AIFLOW_STORE_UNAVAILABLE' } })
  failSaves = false
  // The event whose save failed was answered 503: its turn is not counted, and not replayed.
  t.same((await post(app, event('user_speak', 'call-1', { text: 'b' }))).body, { type: 'speak', session_id: 'call-1', text: 'Turn 1' })
})

t.test('onClose stops every actor and closes the store', async (t) => {
  let stopped = 0
  const ticker = fromCallback(() => () => { stopped++ })
  const flow = setupFlow({ actors: { ticker } }).createMachine({ invoke: { src: 'ticker' } })
  const store = new MemoryStore()
  const { app } = await buildApp({ flow, store })
  await post(app, event('session_start', 'a'))
  await post(app, event('session_start', 'b'))
  await app.close()
  t.equal(stopped, 2)
  t.equal(store.size, 0)
})
