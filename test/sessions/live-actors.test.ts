import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { assign, emit, fromCallback, fromPromise, type AnyStateMachine } from 'xstate'
import { fastifyAiFlow, MemoryStore, setupFlow, speak, type CallView, type FastifyAiFlowOptions, type SessionStore } from '../../lib'
import { ActorHost } from '../../lib/sessions/actor-host'
import { Call } from '../../lib/sessions/call'
import { WorkRunner } from '../../lib/sessions/work-runner'
import { demoFlow } from '../../examples/demo-flow'
import { resolveOptions } from '../../lib/options'
import { SessionRegistry } from '../../lib/sessions'
import { TestClock } from '../../lib/testing'
import { Gates } from '../fixtures/chat-flow'
import { deferred } from '../fixtures/flows'
import { buildApp, event, keepAlive, post } from '../fixtures/helpers'

/** Counts turns; what it emits on user_speech_started waits for the next reply. */
const counterFlow = setupFlow({ types: { context: {} as { turns: number } } }).createMachine({
  context: { turns: 0 },
  on: {
    user_speak: { actions: [assign({ turns: ({ context }) => context.turns + 1 }), emit(({ context }) => speak(`Turn ${context.turns}`))] },
    user_speech_started: { actions: emit(speak('I hear you')) }
  }
})

/** Three calls, interleaved, through every state of the demo. */
const steps: Array<[string, Record<string, unknown>?]> = [
  ['session_start'],
  ['assistant_speech_ended'],
  ['user_speak', { text: 'When are you open?' }],
  ['dtmf_received', { digit: '7' }],
  ['user_input_timeout'],
  ['user_speak', { text: 'menu', barged_in: true }]
]
const script = steps.flatMap(([type, fields]) => ['a', 'b', 'c'].map((id) => event(type, id, fields)))

/** A call's view without its times, which differ between two servers. */
async function state (app: FastifyInstance, id: string): Promise<unknown> {
  const { startedAt, lastEventAt, ...view } = await app.aiFlow.getCall(id) as CallView
  return view
}

t.test('a parked call answers exactly as a live one: same replies for the same script', async (t) => {
  const live = await buildApp({ flow: demoFlow })
  const parked = await buildApp({ flow: demoFlow, liveActors: 0 })
  t.teardown(() => Promise.all([live.app.close(), parked.app.close()]))
  for (const body of script) {
    t.same(await post(parked.app, body), await post(live.app, body), `${body.session.id} ${body.type}`)
  }
  t.same(await state(parked.app, 'a'), await state(live.app, 'a'), 'a parked call reads as a live one')
})

t.test('actions held for the next reply survive parking, and are sent once', async (t) => {
  const { app } = await buildApp({ flow: counterFlow, liveActors: 0 })
  t.teardown(() => app.close())
  await post(app, event('user_speak', 'x', { text: 'hi' }))
  t.equal((await post(app, event('user_speech_started', 'x'))).status, 204)
  // Another call's event parks x, with its held action in the store only.
  await post(app, event('user_speak', 'y', { text: 'hi' }))
  t.match(await app.aiFlow.getCall('x'), { pendingActions: 1, context: { turns: 1 } })
  t.same((await post(app, event('user_speak', 'x', { text: 'again' }))).body, [
    { type: 'speak', session_id: 'x', text: 'I hear you' },
    { type: 'speak', session_id: 'x', text: 'Turn 2' }
  ])
  t.same((await post(app, event('user_speak', 'x', { text: 'third' }))).body, { type: 'speak', session_id: 'x', text: 'Turn 3' })
})

t.test('an in-process store is written only to park a call, and read only to bring it back', async (t) => {
  const store = new MemoryStore()
  const { app } = await buildApp({ flow: counterFlow, store, liveActors: 1 })
  t.teardown(() => app.close())
  await post(app, event('user_speak', 'a', { text: 'hi' }))
  t.equal(store.size, 0, 'a live actor holds all there is: nothing is written')
  await post(app, event('user_speak', 'b', { text: 'hi' }))
  t.equal(store.size, 1, 'the next call parked the first, and wrote its record')
  t.match(await store.get('a'), { snapshot: { context: { turns: 1 } } })
  t.same((await post(app, event('user_speak', 'a', { text: 'again' }))).body, { type: 'speak', session_id: 'a', text: 'Turn 2' })
  t.equal(store.size, 1, 'bringing a back parked b, and let go of a\'s record: a call is its actor or its record')
  t.ok(await store.get('b'))
  await post(app, event('session_end', 'a'))
  await post(app, event('session_end', 'b'))
  t.equal(store.size, 0, 'ended calls leave nothing behind')
})

t.test('by default the 1,000 most recently active calls keep their actor, and the others are parked', async (t) => {
  const store = new MemoryStore()
  const { app } = await buildApp({ flow: counterFlow, store })
  t.teardown(() => app.close())
  for (let i = 0; i <= 1000; i++) await post(app, event('user_speak', `call-${i}`, { text: 'hi' }))
  t.equal(app.aiFlow.liveCalls, 1001)
  t.equal(store.size, 1, 'one call more than the default: one is parked')
  t.match(await store.get('call-0'), { snapshot: { context: { turns: 1 } } }, 'the least recently active')
  t.same((await post(app, event('user_speak', 'call-0', { text: 'again' }))).body, { type: 'speak', session_id: 'call-0', text: 'Turn 2' })
  t.ok(await store.get('call-1'), 'bringing it back parked the next least recent')
})

t.test('a store that is not in-process already has every record: parking writes nothing more', async (t) => {
  const inner = new MemoryStore()
  let writes = 0
  const store: SessionStore = { get: (id) => inner.get(id), set: (id, record, ttl) => { writes++; return inner.set(id, record, ttl) }, delete: (id) => inner.delete(id) }
  const { app } = await buildApp({ flow: counterFlow, store, liveActors: 0 })
  t.teardown(() => app.close())
  await post(app, event('user_speak', 'a', { text: 'hi' }))
  await post(app, event('user_speak', 'b', { text: 'hi' }))
  t.equal(writes, 2, 'one write per event, none for parking a')
  t.same((await post(app, event('user_speak', 'a', { text: 'again' }))).body, { type: 'speak', session_id: 'a', text: 'Turn 2' })
  t.equal(writes, 3)
})

/**
 * An in-process store whose writes wait until the test lets them through
 * (then succeed, or fail). `written()` resolves once every write begun has
 * ended, and whatever the registry chained to them has run.
 */
function heldStore (fail: boolean): MemoryStore & { release: () => void, written: () => Promise<void> } {
  const store = new MemoryStore()
  const set = store.set.bind(store)
  const gate = deferred()
  const writes: Array<Promise<unknown>> = []
  store.set = (id, record, ttl) => {
    const write = gate.promise.then(async () => {
      if (fail) throw new Error('disk full')
      await set(id, record, ttl)
    })
    writes.push(write.catch(() => {}))
    return write
  }
  return Object.assign(store, {
    release: () => gate.resolve(),
    written: async () => {
      await Promise.all(writes)
      await new Promise((resolve) => setImmediate(resolve))
    }
  })
}

for (const fail of [false, true]) {
  t.test(`a parked call whose record the store ${fail ? 'failed to write' : 'has not written yet'} comes back from memory`, async (t) => {
    const store = heldStore(fail)
    const { app, logs } = await buildApp({ flow: counterFlow, store, liveActors: 0 })
    t.teardown(() => app.close())
    await post(app, event('user_speak', 'a', { text: 'hi' }))
    // Each event parks the other call: a, then b, then a again, each before the store has the one before.
    await post(app, event('user_speak', 'b', { text: 'hi' }))
    t.match(await app.aiFlow.getCall('a'), { status: 'active', context: { turns: 1 } }, 'the parked call reads as before')
    t.same((await post(app, event('user_speak', 'a', { text: 'again' }))).body, { type: 'speak', session_id: 'a', text: 'Turn 2' })
    t.same((await post(app, event('user_speak', 'b', { text: 'again' }))).body, { type: 'speak', session_id: 'b', text: 'Turn 2' })
    t.equal(store.size, 0, 'no write has gone through yet')
    store.release()
    await store.written()
    t.same(store.size, fail ? 0 : 1, 'only a\'s latest record is kept: b is live again, and its late-written record went')
    if (!fail) t.match(await store.get('a'), { snapshot: { context: { turns: 2 } } })
    t.equal(logs.filter((line) => line.msg === 'a parked call could not be stored; it waits in memory').length, fail ? 3 : 0)
    t.same((await post(app, event('user_speak', 'a', { text: 'third' }))).body, { type: 'speak', session_id: 'a', text: 'Turn 3' })
  })
}

/** A registry on the test's clock, its log lines kept; closed when the test ends. */
function registry (t: { teardown: (fn: () => unknown) => void }, flow: AnyStateMachine, options: Partial<FastifyAiFlowOptions>) {
  const clock = new TestClock()
  const errors = new Map<string, ReturnType<typeof deferred<void>>>()
  const errorOf = (id: string) => errors.get(id) ?? errors.set(id, deferred()).get(id) as ReturnType<typeof deferred<void>>
  const log = {
    child: () => log,
    debug () {},
    info () {},
    warn () {},
    error: (line: { sessionId?: string }) => { if (line.sessionId !== undefined) errorOf(line.sessionId).resolve() }
  }
  const sessions = new SessionRegistry({ ...resolveOptions({ flow, ...options }), clock, log })
  t.teardown(() => sessions.close())
  const send = (type: string, id: string, fields?: Record<string, unknown>) =>
    sessions.dispatch(event(type, id, fields) as { type: string, session: { id: string } }, { log })
  /** Resolves once an error of call `id` has been logged. */
  const failed = (id: string) => errorOf(id).promise
  return { clock, sessions, send, failed }
}

const said = (text: string, id: string) => [{ type: 'speak', session_id: id, text }]

t.test('a parked call\'s timer still fires; calls with a child actor or work running keep their actor', async (t) => {
  keepAlive(t)
  const gates = new Gates()
  const ticker = { started: 0, stopped: 0 }
  const workDone = deferred()
  const flow = setupFlow({
    actors: {
      ticker: fromCallback(() => {
        ticker.started++
        return () => { ticker.stopped++ }
      }),
      slow: fromPromise(async () => { await gates.pass('slow'); return 'done' })
    }
  }).createMachine({
    initial: 'idle',
    states: {
      idle: {
        on: {
          dtmf_received: [
            { guard: ({ event }) => event.digit === '1', target: 'timed' },
            { guard: ({ event }) => event.digit === '2', target: 'ticking' },
            { target: 'working' }
          ]
        }
      },
      timed: { after: { 40: { target: 'idle', actions: emit(speak('time is up')) } } },
      ticking: { invoke: { src: 'ticker' } },
      working: { invoke: { src: 'slow', onDone: { target: 'idle', actions: [emit(speak('work done')), () => workDone.resolve()] } } }
    }
  })
  const store = new MemoryStore()
  const { clock, send } = registry(t, flow, { store, liveActors: 0, replyTimeout: 10 })
  for (const [id, digit] of [['timer', '1'], ['child', '2'], ['work', '3']]) await send('dtmf_received', id, { digit })
  // Many events of other calls: each looks for calls to park.
  for (let i = 0; i < 10; i++) await send('session_start', `other-${i}`)
  t.ok(await store.get('timer'), 'the call with a timer only was parked')
  t.equal(await store.get('child'), undefined, 'the call with a child actor was not')
  t.equal(await store.get('work'), undefined, 'nor the call with work running')
  t.same(ticker, { started: 1, stopped: 0 }, 'the child actor runs on, never stopped nor started again')
  await clock.advance(40)
  t.same(await send('session_start', 'timer'), said('time is up', 'timer'), 'the parked call\'s timer fired')
  gates.open('slow')
  await workDone.promise
  t.same(await send('session_start', 'work'), said('work done', 'work'), 'the work finished, and its answer leads the next reply')
})

t.test('a call that failed after its reply is let go from the live actors', async (t) => {
  keepAlive(t)
  const gates = new Gates()
  const flow = setupFlow({
    actors: { failing: fromPromise(async () => { await gates.pass('lookup'); throw new Error('the lookup broke') }) }
  }).createMachine({
    initial: 'idle',
    states: { idle: { on: { dtmf_received: 'looking' } }, looking: { invoke: { src: 'failing' } } }
  })
  const { sessions, send, failed } = registry(t, flow, { liveActors: 0, replyTimeout: 5, store: new MemoryStore() })
  // The lookup fails only once the test lets it: the 5 ms deadline passes first.
  t.same(await send('dtmf_received', 'broken', { digit: '1' }), [])
  gates.open('lookup')
  await failed('broken')
  t.match(await sessions.get('broken'), { status: 'failed' })
  t.same(await send('session_start', 'other'), [], 'another call is served')
  t.match(await sessions.get('broken'), { status: 'failed', pendingActions: 2 }, 'the fallback waits for the next reply')
})

t.test('a call with actions on their way to its transport cannot be parked until they have left', async (t) => {
  const host = new ActorHost({ flowVersion: 'v1', flows: {}, flow: counterFlow, replyTimeout: 100, fallback: () => [], log: console as never, changed: () => {}, now: Date.now, due: () => {}, work: new WorkRunner(() => {}, () => {}) })
  const call = new Call('pushed', { id: 'pushed' }, 0)
  host.start(call)
  const sent: unknown[] = []
  call.touched(0, (actions: unknown[]) => sent.push(actions) > 0)
  call.push([{ type: 'hangup', session_id: 'pushed' }])
  t.notOk(host.parkable(call))
  await Promise.resolve()
  t.equal(sent.length, 1, 'the actions left')
  t.ok(host.parkable(call), 'a call with a transport but nothing on its way can be parked')
})

t.test('liveActors must be a whole number of 0 or more, or Infinity', async (t) => {
  for (const [given, shown] of [[-1, '-1'], [1.5, '1.5'], ['10', '"10"'], [NaN, 'null']] as const) {
    const app = Fastify()
    await t.rejects(async () => {
      await app.register(fastifyAiFlow, { flow: counterFlow, liveActors: given as number })
      await app.ready()
    }, { code: 'FST_AIFLOW_INVALID_OPTION', message: new RegExp(`liveActors must be a whole number of 0 or more, or Infinity, got ${shown.replace(/[.]/g, '\\.')}`) })
    await app.close()
  }
  for (const liveActors of [0, 5, Infinity]) {
    const app = Fastify()
    await app.register(fastifyAiFlow, { flow: counterFlow, liveActors })
    await app.ready()
    t.equal(app.aiFlow.liveCalls, 0, `liveActors: ${liveActors} is accepted`)
    await app.close()
  }
})

t.test('a call whose state cannot be kept fails alone when it is parked in another call\'s turn', async (t) => {
  const nested = (depth: number): Record<string, unknown> => {
    let value: Record<string, unknown> = {}
    for (let i = 0; i < depth; i++) value = { value }
    return value
  }
  const deepFlow = setupFlow({ types: { context: {} as { deep?: unknown } } }).createMachine({
    context: {},
    on: {
      user_speak: { actions: [assign({ deep: () => nested(100_000) }), emit(speak('kept'))] },
      dtmf_received: { actions: emit(speak('fine')) }
    }
  })
  const { app, logs } = await buildApp({ flow: deepFlow, liveActors: 0 })
  t.teardown(() => app.close())
  t.same((await post(app, event('user_speak', 'deep', { text: 'x' }))).body, { type: 'speak', session_id: 'deep', text: 'kept' })
  // The other call's turn parks the deep one.
  t.same(await post(app, event('dtmf_received', 'other', { digit: '1' })), { status: 200, body: { type: 'speak', session_id: 'other', text: 'fine' } }, 'the other call is answered')
  t.ok(logs.some((line) => line.sessionId === 'deep' && line.err?.code === 'FST_AIFLOW_FLOW_ERROR'), 'the deep call failed, and the log says which')
  t.match(await app.aiFlow.getCall('deep'), { status: 'failed', pendingActions: 2 }, 'it gets the fallback at its next event')
  t.same((await post(app, event('dtmf_received', 'other', { digit: '2' }))).body, { type: 'speak', session_id: 'other', text: 'fine' })
})
