import t from 'tap'
import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { eventSchemas } from '../../lib'
import { CallStats } from '../../lib/telemetry/call-stats'
import { kindOf } from '../../lib/telemetry/event-kinds'
import { assistant } from '../fixtures/flows'
import { buildApp, event, post, type LogLine } from '../fixtures/helpers'
import { TestMetricReader } from '../fixtures/metric-reader'

// Metrics and spans both on: every place an event's type could be kept.
const reader = new TestMetricReader()
const meters = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meters)
const exporter = new InMemorySpanExporter()
const tracers = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
tracers.register()
t.teardown(async () => { await meters.shutdown(); await tracers.shutdown() })

const known = new Set([...Object.keys(eventSchemas), 'other'])

/** The series of both per-type instruments, and the span names seen: what each new event type would add to. */
async function series (): Promise<{ events: number, replies: number, spanNames: number }> {
  const spans = new Set(exporter.getFinishedSpans().map((span) => span.name))
  return { events: (await reader.points('aiflow.events')).length, replies: (await reader.points('aiflow.reply.duration')).length, spanNames: spans.size }
}

const summaryOf = (logs: LogLine[], id: string): Record<string, any> => logs.find((line) => line.msg === 'call ended' && line.sessionId === id)?.call

t.test('event types the protocol does not document no longer grow the metrics, span names and summaries one entry each', async (t) => {
  const { app, logs } = await buildApp({ flow: assistant })
  t.teardown(() => app.close())
  const call = async (id: string, types: string[]): Promise<void> => {
    await post(app, event('session_start', id))
    const statuses = new Set<number>()
    for (const type of types) statuses.add((await post(app, event(type, id))).status)
    t.same([...statuses], [204], `${id}: each answered, with nothing to say`)
    await post(app, event('session_end', id))
  }

  await call('few', ['made_up_0'])
  const before = await series()
  await call('many', Array.from({ length: 300 }, (_, i) => `made_up_${i + 1}`))
  t.same(await series(), before, '300 more types: not one more series or span name')

  for (const point of await reader.points('aiflow.events')) t.ok(known.has(String(point.attributes.type)), `type="${String(point.attributes.type)}" is the protocol's, or other`)
  t.equal(await reader.total('aiflow.events', { type: 'other' }), 301)
  t.equal(await reader.total('aiflow.reply.duration', { type: 'other' }), 301)
  t.same(summaryOf(logs, 'many').events, { session_start: 1, other: 300, session_end: 1 }, 'the summary counts them under other')
  const made = exporter.getFinishedSpans().filter((span) => span.attributes['aiflow.event.type'] === 'made_up_7')
  t.same(made.map((span) => span.name), ['aiflow.event other'], 'the span is named other, and its attribute keeps the type it had')
})

t.test('an event type named like an Object property is counted, not confused with the property', async (t) => {
  const { app, logs } = await buildApp({ flow: assistant })
  t.teardown(() => app.close())
  for (const type of ['session_start', 'constructor', 'constructor', 'session_end']) await post(app, event(type, 'proto'))
  const summary = summaryOf(logs, 'proto')
  t.same(summary.events, { session_start: 1, other: 2, session_end: 1 })
  t.notOk(Object.hasOwn(summary.events, 'constructor'), 'no key of that name')
  t.equal(logs.filter((line) => line.level >= 50).length, 0, 'nothing failed')
})

t.test('no kind a call\'s counts are keyed by names a property of their prototype', async (t) => {
  // The counts are a plain object: kindOf is what keeps `constructor`, `__proto__` and the like out of its keys.
  for (const name of Object.getOwnPropertyNames(Object.prototype)) t.equal(kindOf(name).type, 'other', name)
  const stats = new CallStats('call-1', 0, 'v1', 'http')
  stats.count(kindOf('__proto__').type, false, 'http')
  stats.count(kindOf('session_start').type, false, 'websocket')
  t.same(Object.entries(stats.summary('session_end', undefined, 1).events), [['other', 1], ['session_start', 1]])
})
