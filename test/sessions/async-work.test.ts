import t from 'tap'
import { assign, emit, fromPromise, setup } from 'xstate'
import { setupFlow, speak } from '../../lib'
import { buildApp, event, post, sleep } from '../fixtures/helpers'

/** On user speech, "thinks" for `delay` ms (an LLM stand-in), then speaks. */
function thinkingFlow (delay: (text: string) => number, aborted: string[] = []) {
  return setupFlow({
    types: { context: {} as { heard: string[] } },
    actors: {
      think: fromPromise(async ({ input, signal }: { input: string, signal: AbortSignal }) => {
        signal.addEventListener('abort', () => aborted.push(input))
        await sleep(delay(input))
        return `Answer to ${input}`
      })
    }
  }).createMachine({
    context: { heard: [] },
    initial: 'listening',
    on: {
      user_speak: {
        target: '.thinking',
        reenter: true,
        actions: assign({ heard: ({ context, event }) => [...context.heard, event.text] })
      }
    },
    states: {
      listening: {},
      thinking: {
        invoke: {
          src: 'think',
          input: ({ context }) => context.heard[context.heard.length - 1],
          onDone: { target: 'listening', actions: emit(({ event }) => speak(event.output)) }
        }
      }
    }
  })
}

t.test('the reply waits for the promise work its event started', async (t) => {
  const { app } = await buildApp({ flow: thinkingFlow(() => 30), replyTimeout: 5000 })
  t.teardown(() => app.close())
  t.same((await post(app, event('user_speak', 'call-1', { text: 'hours?' }))).body, {
    type: 'speak', session_id: 'call-1', text: 'Answer to hours?'
  })
})

t.test('work that misses the deadline goes out with the next reply, never after session_end', async (t) => {
  const { app, logs } = await buildApp({ flow: thinkingFlow(() => 80), replyTimeout: 20 })
  t.teardown(() => app.close())
  t.equal((await post(app, event('user_speak', 'call-1', { text: 'slow' }))).status, 204, 'the deadline passed: 204')
  await sleep(150)
  t.same((await post(app, event('assistant_speech_ended'))).body, {
    type: 'speak', session_id: 'call-1', text: 'Answer to slow'
  }, 'the late answer leads the next reply')
  t.equal((await post(app, event('assistant_speech_ended'))).status, 204, 'and is sent once')

  t.equal((await post(app, event('user_speak', 'call-1', { text: 'again' }))).status, 204)
  await sleep(150)
  t.equal((await post(app, event('session_end'))).status, 204)
  t.ok(logs.some((line) => line.dropped === 1), 'an answer that came after the caller hung up is dropped and logged')
  t.equal(app.aiFlow.liveCalls, 0)
})

t.test('a newer event cancels stale work the way XState cancels invocations', async (t) => {
  const aborted: string[] = []
  const { app } = await buildApp({ flow: thinkingFlow((text) => (text === 'first' ? 500 : 10), aborted), replyTimeout: 5000 })
  t.teardown(() => app.close())
  const first = post(app, event('user_speak', 'call-1', { text: 'first' }))
  await sleep(20)
  const second = post(app, event('user_speak', 'call-1', { text: 'second' }))
  t.equal((await first).status, 204, 'the older reply stops waiting when a newer event comes')
  t.same((await second).body, { type: 'speak', session_id: 'call-1', text: 'Answer to second' })
  t.same(aborted, ['first'], 'the stale invocation was aborted')
  await sleep(50)
  t.equal((await post(app, event('assistant_speech_ended'))).status, 204, 'nothing of the stale work comes later')
})

t.test('overlapping requests of one call are processed one at a time, in arrival order', async (t) => {
  const arrivals: string[] = []
  const { app } = await buildApp({
    flow: thinkingFlow((text) => 5 + (Number(text) * 7) % 20),
    replyTimeout: 5000
  }, (app) => app.addHook('preHandler', async (request) => { arrivals.push((request.body as { text: string }).text) }))
  t.teardown(() => app.close())
  const texts = Array.from({ length: 12 }, (_, i) => String(i))
  const replies = await Promise.all(texts.map((text) => post(app, event('user_speak', 'call-1', { text }))))
  const view = await app.aiFlow.getCall('call-1')
  t.same((view?.context as { heard: string[] }).heard, arrivals, 'the flow saw every event, in arrival order')
  const spoken = replies.flatMap((reply) => (reply.body === undefined ? [] : [reply.body].flat()))
    .map((action: { text: string }) => action.text)
  t.same(spoken.at(-1), `Answer to ${arrivals.at(-1)}`, 'the newest question is answered last')
  const order = spoken.map((text: string) => arrivals.indexOf(text.replace('Answer to ', '')))
  t.same(order, [...order].sort((a, b) => a - b), 'answers go out in the order of their questions')
})

t.test('work inside a child machine is waited for too', async (t) => {
  const child = setup({
    actors: { lookup: fromPromise(async () => { await sleep(20); return 'found' }) }
  }).createMachine({
    initial: 'busy',
    states: { busy: { invoke: { src: 'lookup', onDone: 'done' } }, done: { type: 'final' } },
    output: () => 'found'
  })
  const flow = setupFlow({ actors: { child } }).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'working' } },
      working: { invoke: { src: 'child', onDone: { target: 'idle', actions: emit(({ event }) => speak(String(event.output))) } } }
    }
  })
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.same((await post(app, event('session_start'))).body, { type: 'speak', session_id: 'call-1', text: 'found' })
})
