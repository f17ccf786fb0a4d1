import t from 'tap'
import { assign, emit, fromPromise } from 'xstate'
import { setupFlow, speak } from '../../lib'
import { buildApp, event, eventually, post } from '../fixtures/helpers'

// What a piece of promise work emits while it runs goes to the state that
// invoked it, in a turn of the call, in order; once that state is left, or
// the work stopped, nothing it says reaches the call.

function flow (work: (emit: (event: { type: string, n: number }) => void, signal: AbortSignal) => Promise<void>) {
  return setupFlow({
    types: { context: {} as { heard: number[] }, events: {} as { type: 'progress', n: number } },
    actors: { chatty: fromPromise<void, undefined, { type: 'progress', n: number }>(async ({ emit, signal }) => await work(emit as never, signal)) }
  }).createMachine({
    context: { heard: [] },
    initial: 'idle',
    states: {
      idle: { on: { session_start: { target: 'busy', actions: emit(speak('Working.')) } } },
      busy: {
        invoke: { src: 'chatty' },
        on: {
          progress: [
            { guard: ({ event }) => event.n === 2, target: 'done', actions: assign({ heard: ({ context, event }) => [...context.heard, event.n] }) },
            { actions: assign({ heard: ({ context, event }) => [...context.heard, event.n] }) }
          ],
          dtmf_received: 'done'
        }
      },
      done: {}
    }
  })
}

t.test('news after the state that asked for the work was left is dropped, and logged', async (t) => {
  let go!: () => void
  const ready = new Promise<void>((resolve) => { go = resolve })
  const { app, logs } = await buildApp({
    flow: flow(async (emit) => {
      await ready
      // Three at once: the second leaves the state before the third is applied.
      emit({ type: 'progress', n: 1 })
      emit({ type: 'progress', n: 2 })
      emit({ type: 'progress', n: 3 })
      await new Promise(() => {})
    }),
    replyTimeout: 50
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'c'))
  go()
  t.ok(await eventually(async () => logs.some((line) => line.msg === 'work emitted for a state the call has left')))
  const call = await app.aiFlow.getCall('c')
  t.same(call?.context, { heard: [1, 2] })
  t.equal(call?.state, 'done')
})

t.test('work that was stopped says nothing more to the call', async (t) => {
  let stopped!: () => void
  const aborted = new Promise<void>((resolve) => { stopped = resolve })
  const { app } = await buildApp({
    flow: flow(async (emit, signal) => {
      signal.addEventListener('abort', () => {
        emit({ type: 'progress', n: 9 })
        stopped()
      })
      await new Promise(() => {})
    }),
    replyTimeout: 50
  })
  // Listening, as in production: the work holds no process open, and the reply deadline's timer does not either.
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'c'))
  await post(app, event('dtmf_received', 'c', { digit: '1' }))
  await aborted
  const call = await app.aiFlow.getCall('c')
  t.same(call?.context, { heard: [] }, 'what it emitted as it stopped never reached the call')
  t.equal(call?.state, 'done')
})
