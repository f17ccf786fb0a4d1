import t from 'tap'
import { emit, fromPromise } from 'xstate'
import { defaultFallback, setupFlow, speak, transfer, type FlowAction } from '../../lib'
import { Gates } from '../fixtures/chat-flow'
import { deferred } from '../fixtures/flows'
import { buildApp, event, keepAlive, post } from '../fixtures/helpers'

const fallbackTypes = defaultFallback.map((action) => action.type)

function types (body: unknown): string[] {
  return [body].flat().map((action) => (action as { type: string }).type)
}

/** Holds the failure of `failingLater` until the test opens its gate; `failed` resolves once the registry has it. */
const gates = new Gates()
let failed = deferred()

/** Breaks in the way each test names. */
const brokenFlow = setupFlow({
  actors: {
    explode: fromPromise(async ({ input }: { input: string }) => {
      try {
        await gates.pass(input)
        throw new Error('the LLM is down')
      } finally {
        // The registry takes the failure in promise reactions: they have all run a macrotask later.
        setImmediate(failed.resolve)
      }
    })
  }
}).createMachine({
  initial: 'ok',
  states: {
    ok: {
      on: {
        session_start: { actions: emit(speak('Hello!')) },
        user_speak: [
          { guard: ({ event }) => event.text === 'throw', actions: () => { throw new Error('boom in an action') } },
          { guard: ({ event }) => event.text === 'invalid', actions: emit(() => ({ type: 'speak', text: 'a', ssml: 'b' }) as FlowAction) },
          {
            guard: ({ event }) => event.text === 'invalid, then throw',
            actions: [emit(() => ({ type: 'speak' }) as FlowAction), () => { throw new Error('and then this') }]
          },
          { guard: ({ event }) => event.text === 'not an action', actions: emit(() => ({ type: 'log_this' }) as unknown as FlowAction) },
          { guard: ({ event }) => event.text === 'reject', target: 'failing' },
          { guard: ({ event }) => event.text === 'reject later', target: 'failingLater' },
          { actions: emit(({ event }) => speak(`Heard ${event.text}`)) }
        ],
        dtmf_received: {
          guard: () => { throw new Error('boom in a guard') },
          actions: emit(transfer({ target_phone_number: '1', caller_id_name: 'x', caller_id_number: '2' }))
        }
      }
    },
    failing: { invoke: { src: 'explode', input: 'at once' } },
    failingLater: { invoke: { src: 'explode', input: 'later' } }
  }
})

const breakers: Array<[string, Record<string, unknown>]> = [
  ['an action that throws', event('user_speak', 'x', { text: 'throw' })],
  ['a guard that throws', event('dtmf_received', 'x', { digit: '1' })],
  ['an invalid action', event('user_speak', 'x', { text: 'invalid' })],
  ['two failures in one event', event('user_speak', 'x', { text: 'invalid, then throw' })],
  ['an emitted event that is not an action', event('user_speak', 'x', { text: 'not an action' })],
  ['a promise that rejects with no onError', event('user_speak', 'x', { text: 'reject' })]
]

gates.open('at once')

t.test('a failing flow gets the fallback reply, is logged with its session id, and crashes nothing', async (t) => {
  for (const [name, breaker] of breakers) {
    const { app, logs } = await buildApp({ flow: brokenFlow })
    const id = `call-${name}`
    const broken = { ...breaker, session: { id } }
    await post(app, event('session_start', id))
    await post(app, event('session_start', 'bystander'))
    const reply = await post(app, broken)
    t.equal(reply.status, 200, `${name}: answered`)
    t.same(types(reply.body), fallbackTypes, `${name}: with the fallback`)
    t.ok(logs.some((line) => line.level === 50 && line.sessionId === id && line.err?.code?.startsWith('FST_AIFLOW_')), `${name}: logged`)
    t.equal((await post(app, event('user_speak', id, { text: 'hello?' }))).status, 204, `${name}: the failed call stays quiet`)
    t.same((await post(app, event('user_speak', 'bystander', { text: 'hi' }))).body.text, 'Heard hi', `${name}: other calls go on`)
    t.match(await app.aiFlow.getCall(id), { status: 'failed' })
    t.equal((await post(app, event('session_end', id))).status, 204, `${name}: and ends cleanly`)
    t.equal(app.aiFlow.liveCalls, 1)
    await app.close()
  }
})

t.test('a flow that fails after its reply had gone leads the next reply with the fallback', async (t) => {
  const { app, logs } = await buildApp({ flow: brokenFlow, replyTimeout: 10 })
  t.teardown(() => app.close())
  keepAlive(t)
  await post(app, event('session_start'))
  // The work fails only when the test says so: the 10 ms deadline passes first, whatever the machine's speed.
  t.equal((await post(app, event('user_speak', 'call-1', { text: 'reject later' }))).status, 204)
  failed = deferred()
  gates.open('later')
  await failed.promise
  t.same(types((await post(app, event('assistant_speech_ended'))).body), fallbackTypes)
  t.ok(logs.some((line) => line.err?.message?.includes('the LLM is down')), 'the failure is logged')
})

t.test('the fallback is configurable, and [] answers 204', async (t) => {
  const custom = await buildApp({
    flow: brokenFlow,
    fallback: [transfer({ target_phone_number: '4930111', caller_id_name: 'Support', caller_id_number: '4930000' })]
  })
  t.teardown(() => custom.app.close())
  t.same(types((await post(custom.app, event('user_speak', 'call-1', { text: 'throw' }))).body), ['transfer'])

  const silent = await buildApp({ flow: brokenFlow, fallback: [] })
  t.teardown(() => silent.app.close())
  t.equal((await post(silent.app, event('user_speak', 'call-1', { text: 'throw' }))).status, 204)
})

t.test('a flow that throws something other than an Error is logged all the same', async (t) => {
  const flow = setupFlow({}).createMachine({
    on: { session_start: { actions: () => { throw 'a bare string' } } } // eslint-disable-line no-throw-literal
  })
  const { app, logs } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same(types((await post(app, event('session_start'))).body), fallbackTypes)
  t.ok(logs.some((line) => line.err?.message === 'The flow failed: a bare string'))
})

t.test('a flow that cannot even start gets the fallback', async (t) => {
  const flow = setupFlow({}).createMachine({ context: () => { throw new Error('bad input') } })
  const { app, logs } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same(types((await post(app, event('session_start'))).body), fallbackTypes)
  t.ok(logs.some((line) => line.err?.message?.includes('bad input')))
})
