import t from 'tap'
import { SpanStatusCode, metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node'
import { MemoryStore, type FastifyAiFlowOptions, type SessionStore } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { assistant } from '../fixtures/flows'
import { buildApp, event, post } from '../fixtures/helpers'
import { TestMetricReader } from '../fixtures/metric-reader'
import { sharedRedis } from '../fixtures/redis-server'

const spans = new InMemorySpanExporter()
const tracing = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
tracing.register()
const reader = new TestMetricReader()
const meters = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meters)
t.teardown(async () => { await tracing.shutdown(); await meters.shutdown() })

let url: string
t.before(async () => { url = await sharedRedis(t) })

async function call (t: { teardown: (fn: () => unknown) => void }, id: string, options: Partial<FastifyAiFlowOptions>): Promise<void> {
  const { app } = await buildApp({ flow: assistant, ...options } as FastifyAiFlowOptions)
  t.teardown(() => app.close())
  spans.reset()
  await post(app, event('session_start', id))
  await post(app, event('user_speak', id, { text: 'repeat hello' }))
}

const children = (name: string): Array<{ name: string, parent: string | undefined, call?: unknown }> => {
  const finished = spans.getFinishedSpans()
  const nameOf = (span: ReadableSpan): string | undefined =>
    finished.find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId)?.name
  return finished.filter((span) => span.name.startsWith(name)).map((span) => ({ name: span.name, parent: nameOf(span), call: span.attributes['aiflow.call.id'] }))
}

t.test('a shared store: each event\'s lock and unlock are spans under it, timed by operation, and its wait for the lock', async (t) => {
  const id = `store-redis-${process.pid}`
  const before = await reader.total('aiflow.lock.wait')
  await call(t, id, { store: new RedisStore({ url, prefix: `test:telemetry:${process.pid}:` }) })

  t.same(children('aiflow.store').map(({ name, parent }) => ({ name, parent })), [
    { name: 'aiflow.store lock', parent: 'aiflow.event session_start' },
    { name: 'aiflow.store unlock', parent: 'aiflow.event session_start' },
    { name: 'aiflow.store lock', parent: 'aiflow.event user_speak' },
    { name: 'aiflow.store unlock', parent: 'aiflow.event user_speak' }
  ])
  for (const span of spans.getFinishedSpans()) t.equal(span.attributes['aiflow.call.id'], id, `${span.name} carries the call id`)
  t.equal(await reader.total('aiflow.lock.wait') - before, 2, 'two waits for the lock')
  t.ok(await reader.total('aiflow.store.duration', { operation: 'unlock' }) >= 2)
  const [point] = await reader.points('aiflow.store.duration')
  t.same(Object.keys(point.attributes), ['operation'], 'the operation is the one attribute of store times')
})

t.test('an in-process store with idle calls parked: parking, restoring and reading are store spans of their call', async (t) => {
  const { app } = await buildApp({ flow: assistant, store: new MemoryStore(), liveActors: 0 })
  t.teardown(() => app.close())
  spans.reset()
  await post(app, event('session_start', 'parked-a'))
  // B's event parks A, idle by then.
  await post(app, event('session_start', 'parked-b'))
  // A comes back from its record; B, idle now, is parked.
  await post(app, event('user_speak', 'parked-a', { text: 'repeat hello' }))

  const stored = children('aiflow.store').map(({ name, parent, call }) => `${call}: ${name} under ${parent}`).sort()
  t.same(stored, [
    'parked-a: aiflow.store delete under aiflow.event user_speak',
    'parked-a: aiflow.store get under aiflow.event session_start',
    'parked-a: aiflow.store get under aiflow.event user_speak',
    'parked-a: aiflow.store set under aiflow.event session_start',
    'parked-b: aiflow.store get under aiflow.event session_start',
    'parked-b: aiflow.store set under aiflow.event session_start'
  ], 'a call parked between its events: under its last event')
})

t.test('a store that fails: its operation and the event are spans with status error', async (t) => {
  // A store whose database is down: every read fails.
  const down: SessionStore = { get: async () => { throw new Error('the database is down') }, set: async () => {}, delete: async () => {} }
  const { app } = await buildApp({ flow: assistant, store: down })
  t.teardown(() => app.close())
  spans.reset()
  t.equal((await post(app, event('session_start', 'store-down'))).status, 503)

  const [get] = spans.getFinishedSpans().filter((span) => span.name === 'aiflow.store get')
  t.equal(get.status.code, SpanStatusCode.ERROR)
  t.match(get.status.message, /the database is down/)
  const [turn] = spans.getFinishedSpans().filter((span) => span.name === 'aiflow.event session_start')
  t.equal(turn.status.code, SpanStatusCode.ERROR)
  t.match(turn.events[0], { name: 'exception', attributes: { 'exception.type': 'FST_AIFLOW_STORE_UNAVAILABLE' } })
})
