import t from 'tap'
import { emit, fromPromise } from 'xstate'
import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { hangup, setupFlow, speak, transfer, type FastifyAiFlowOptions } from '../../lib'
import { buildApp, event, eventually, post, type LogLine } from '../fixtures/helpers'
import { TestMetricReader } from '../fixtures/metric-reader'

// Metrics only, no tracer: what an application that only scrapes Prometheus runs.
const reader = new TestMetricReader()
const meters = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meters)
t.teardown(() => meters.shutdown())

/** Each key ends a call its own way; `slow` emits after its reply has gone. */
const flow = setupFlow({
  actors: { slow: fromPromise(async () => await new Promise<void>((resolve) => setTimeout(resolve, 100))) }
}).createMachine({
  initial: 'menu',
  states: {
    menu: {
      on: {
        dtmf_received: [
          { guard: ({ event }) => event.digit === '1', actions: emit(transfer({ target_phone_number: '+15550100', caller_id_name: 'Acme', caller_id_number: '+15550100', timeout: 20 })) },
          { guard: ({ event }) => event.digit === '2', actions: emit(hangup()) },
          { guard: ({ event }) => event.digit === '3', actions: () => { throw new Error('a broken action') } },
          { target: 'waiting' }
        ]
      }
    },
    waiting: {
      invoke: { src: 'slow', onDone: { target: 'menu', actions: emit(speak('Thanks for waiting.')) } }
    }
  }
})

async function app (t: { teardown: (fn: () => unknown) => void }, options: Partial<FastifyAiFlowOptions> = {}): Promise<{ logs: LogLine[], send: (body: unknown) => Promise<unknown> }> {
  const { app, logs } = await buildApp({ flow, replyTimeout: 20, ...options })
  t.teardown(() => app.close())
  return { logs, send: async (body) => await post(app, body) }
}

const summaries = (logs: LogLine[]): Array<Record<string, any>> => logs.filter((line) => line.msg === 'call ended').map((line) => ({ id: line.sessionId, ...line.call }))

t.test('each way a call ends is counted by outcome and summed up in one info line', async (t) => {
  const { logs, send } = await app(t)
  const calls: Array<[string, string | undefined]> = [['transfer', '1'], ['hangup', '2'], ['flow_error', '3'], ['caller_hung_up', undefined]]
  for (const [id, digit] of calls) {
    await send(event('session_start', id))
    if (digit !== undefined) await send(event('dtmf_received', id, { digit }))
    await send(event('session_end', id))
  }

  for (const [outcome] of calls) t.equal(await reader.total('aiflow.calls.ended', { outcome }), 1, outcome)
  t.equal(await reader.total('aiflow.flow.errors'), 1)
  t.same(summaries(logs).map(({ id, outcome }) => [id, outcome]), calls.map(([id]) => [id, id]), 'one summary line each, in order')
  t.ok(summaries(logs).every((summary) => (summary.transport === 'http' && summary.finalState === 'menu') || summary.id === 'flow_error'))
  t.equal(summaries(logs).find((summary) => summary.id === 'flow_error')?.finalState, undefined, 'a failed flow has no state')
  t.same((await reader.points('aiflow.calls.active'))[0].value, 0, 'none left active')
})

t.test('what the flow emits after the reply deadline counts as late', async (t) => {
  const { send } = await app(t)
  const before = await reader.total('aiflow.late_actions')
  await send(event('session_start', 'late'))
  t.same(await send(event('dtmf_received', 'late', { digit: '9' })), { status: 204, body: undefined }, 'the reply left at the deadline, empty')
  t.ok(await eventually(async () => await reader.total('aiflow.late_actions') - before === 1), 'the speak that came later')
})

t.test('a call idle for longer than sessionTtl expires, and its summary says so', async (t) => {
  const { logs, send } = await app(t, { sessionTtl: 300 })
  await send(event('session_start', 'idle'))
  await send(event('user_input_timeout', 'idle'))
  t.ok(await eventually(() => summaries(logs).length === 1), 'the sweep ended it')
  t.match(summaries(logs)[0], { id: 'idle', outcome: 'expired', inputTimeouts: 1, events: { session_start: 1, user_input_timeout: 1 }, finalState: 'menu' })
  t.equal(await reader.total('aiflow.calls.ended', { outcome: 'expired' }), 1)
  t.equal(await reader.total('aiflow.input_timeouts'), 1)
})
