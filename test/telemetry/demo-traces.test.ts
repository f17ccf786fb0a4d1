import t from 'tap'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node'
import { buildServer } from '../../examples/app'
import { startTelemetry } from '../../examples/telemetry'
import { startExample } from '../fixtures/example-server'
import { eventually, example } from '../fixtures/helpers'

t.test('with a span exporter, the demo traces each request and each event under it', async (t) => {
  const spans = new InMemorySpanExporter()
  const telemetry = startTelemetry({ spans })
  t.teardown(() => telemetry.shutdown())
  const app = buildServer({ telemetry })
  t.teardown(() => app.close())

  const res = await app.inject({ method: 'POST', url: '/webhook', payload: example('event-session_start') })
  t.equal(res.statusCode, 200)

  const finished = spans.getFinishedSpans()
  const turn = finished.find((span) => span.name === 'aiflow.event session_start')
  const request = finished.find((span) => span.spanContext().spanId === turn?.parentSpanContext?.spanId)
  t.equal(request?.name, 'request', 'under @fastify/otel\'s request span')
  t.equal(turn?.attributes['aiflow.state.after'], 'speaking')
  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /^aiflow_events_total\{type="session_start",.*\} 1$/m, 'and counts it')
})

t.test('npm start with OTEL_TRACES=console prints each event\'s span', async (t) => {
  const { url, process: server, output } = await startExample(t, 'examples/server.ts', { OTEL_TRACES: 'console' })
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the server started')

  const res = await fetch(`${url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(example('event-session_start')) })
  t.equal(res.status, 200)
  t.ok(await eventually(() => output().includes("name: 'aiflow.event session_start'")), 'the event\'s span is printed')
  t.match(output(), /'aiflow\.call\.id': '550e8400-e29b-41d4-a716-446655440000'/)
  const scraped = await (await fetch(`${url}/metrics`)).text()
  t.match(scraped, /^aiflow_calls_active\{.*\} 1$/m)

  server.kill('SIGTERM')
  const code = await new Promise((resolve) => server.once('exit', resolve))
  t.equal(code, 0, 'it closes cleanly on SIGTERM')
})
