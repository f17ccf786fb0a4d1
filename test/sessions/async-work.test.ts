import t from 'tap'
import { assign, emit, fromPromise, setup } from 'xstate'
import { setupFlow, speak } from '../../lib'
import { Gates } from '../fixtures/chat-flow'
import { deferred } from '../fixtures/flows'
import { buildApp, event, keepAlive, post } from '../fixtures/helpers'

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * On user speech, "thinks" (an LLM stand-in) until the test opens the gate of
 * what it heard, then speaks. No timer decides when work ends: the test says
 * so, and awaits what follows. `ended(text)` resolves once that work's promise
 * has settled and its result has reached the registry; `spoken(text)`, once the
 * flow has emitted the answer to it.
 */
function thinkingFlow (gates: Gates) {
  const ends = new Map<string, ReturnType<typeof deferred<void>>>()
  const spoken = new Map<string, ReturnType<typeof deferred<void>>>()
  const get = (map: typeof ends, text: string) => map.get(text) ?? map.set(text, deferred()).get(text) as ReturnType<typeof deferred<void>>
  const aborted: string[] = []
  const flow = setupFlow({
    types: { context: {} as { heard: string[] } },
    actors: {
      think: fromPromise(async ({ input, signal }: { input: string, signal: AbortSignal }) => {
        signal.addEventListener('abort', () => aborted.push(input))
        try {
          await gates.pass(input)
          return `Answer to ${input}`
        } finally {
          // The registry takes the result in promise reactions: they have all run a macrotask later.
          setImmediate(() => get(ends, input).resolve())
        }
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
          onDone: {
            target: 'listening',
            actions: [emit(({ event }) => speak(event.output)), ({ event }) => get(spoken, event.output.replace('Answer to ', '')).resolve()]
          }
        }
      }
    }
  })
  return { flow, aborted, ended: (text: string) => get(ends, text).promise, spoken: (text: string) => get(spoken, text).promise }
}

t.test('the reply waits for the promise work its event started', async (t) => {
  const gates = new Gates()
  const { app } = await buildApp({ flow: thinkingFlow(gates).flow, replyTimeout: 5000 })
  t.teardown(() => app.close())
  let opened = false
  const reply = post(app, event('user_speak', 'call-1', { text: 'hours?' })).then((reply) => ({ reply, opened }))
  await gates.started('hours?')
  opened = true
  gates.open('hours?')
  const answered = await reply
  t.ok(answered.opened, 'the reply came only after the work was let finish')
  t.same(answered.reply.body, { type: 'speak', session_id: 'call-1', text: 'Answer to hours?' })
})

t.test('work that misses the deadline goes out with the next reply, never after session_end', async (t) => {
  const gates = new Gates()
  const { flow, spoken } = thinkingFlow(gates)
  // The work runs until the test opens its gate: the 20 ms deadline passes first, whatever the machine's speed.
  const { app, logs } = await buildApp({ flow, replyTimeout: 20 })
  t.teardown(() => app.close())
  keepAlive(t)
  t.equal((await post(app, event('user_speak', 'call-1', { text: 'slow' }))).status, 204, 'the deadline passed: 204')
  gates.open('slow')
  await spoken('slow')
  t.same((await post(app, event('assistant_speech_ended'))).body, {
    type: 'speak', session_id: 'call-1', text: 'Answer to slow'
  }, 'the late answer leads the next reply')
  t.equal((await post(app, event('assistant_speech_ended'))).status, 204, 'and is sent once')

  t.equal((await post(app, event('user_speak', 'call-1', { text: 'again' }))).status, 204)
  gates.open('again')
  await spoken('again')
  t.equal((await post(app, event('session_end'))).status, 204)
  t.ok(logs.some((line) => line.dropped === 1), 'an answer that came after the caller hung up is dropped and logged')
  t.equal(app.aiFlow.liveCalls, 0)
})

t.test('a newer event cancels stale work the way XState cancels invocations', async (t) => {
  const gates = new Gates()
  const { flow, aborted, ended } = thinkingFlow(gates)
  const { app } = await buildApp({ flow, replyTimeout: 5000 })
  t.teardown(() => app.close())
  const first = post(app, event('user_speak', 'call-1', { text: 'first' }))
  await gates.started('first')
  const second = post(app, event('user_speak', 'call-1', { text: 'second' }))
  t.equal((await first).status, 204, 'the older reply stops waiting when a newer event comes')
  await gates.started('second')
  gates.open('second')
  t.same((await second).body, { type: 'speak', session_id: 'call-1', text: 'Answer to second' })
  t.same(aborted, ['first'], 'the stale invocation was aborted once the newer event\'s turn was over')
  // Not all work heeds its signal: this one ends anyway, and what it returns must go nowhere.
  gates.open('first')
  await ended('first')
  t.equal((await post(app, event('assistant_speech_ended'))).status, 204, 'nothing of the stale work comes later')
})

t.test('stale work that ends while the newer work runs is not taken for it', async (t) => {
  const gates = new Gates()
  const { flow, ended } = thinkingFlow(gates)
  const { app, logs } = await buildApp({ flow, replyTimeout: 5000 })
  t.teardown(() => app.close())
  const first = post(app, event('user_speak', 'call-1', { text: 'first' }))
  await gates.started('first')
  const second = post(app, event('user_speak', 'call-1', { text: 'second' }))
  t.equal((await first).status, 204)
  await gates.started('second')
  // The flow runs `think` again, at the same place in its tree: only the work's key tells the two apart.
  gates.open('first')
  await ended('first')
  gates.open('second')
  t.same((await second).body, { type: 'speak', session_id: 'call-1', text: 'Answer to second' }, 'the newer reply holds the newer answer only')
  t.ok(logs.some((line) => line.msg === 'work ended for a state the call has left'), 'the stale result was seen, and set aside')
  t.equal((await post(app, event('assistant_speech_ended'))).status, 204, 'and it does not come later either')
})

t.test('overlapping requests of one call are processed one at a time, in arrival order', async (t) => {
  const arrivals: string[] = []
  // Work that takes a different number of turns of the event loop for each question, no timer.
  const flow = setupFlow({
    types: { context: {} as { heard: string[] } },
    actors: {
      think: fromPromise(async ({ input }: { input: string }) => {
        for (let i = 0; i < (Number(input) * 7) % 20; i++) await macrotask()
        return `Answer to ${input}`
      })
    }
  }).createMachine({
    context: { heard: [] },
    initial: 'listening',
    on: { user_speak: { target: '.thinking', reenter: true, actions: assign({ heard: ({ context, event }) => [...context.heard, event.text] }) } },
    states: {
      listening: {},
      thinking: {
        invoke: { src: 'think', input: ({ context }) => context.heard.at(-1) as string, onDone: { target: 'listening', actions: emit(({ event }) => speak(event.output)) } }
      }
    }
  })
  const { app } = await buildApp({ flow, replyTimeout: 5000 },
    (app) => app.addHook('preHandler', async (request) => { arrivals.push((request.body as { text: string }).text) }))
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
  const gates = new Gates()
  const child = setup({
    actors: { lookup: fromPromise(async () => { await gates.pass('lookup'); return 'found' }) }
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
  const { app } = await buildApp({ flow, replyTimeout: 5000 })
  t.teardown(() => app.close())
  const reply = post(app, event('session_start'))
  await gates.started('lookup')
  gates.open('lookup')
  t.same((await reply).body, { type: 'speak', session_id: 'call-1', text: 'found' })
})
