import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { prometheusMetrics } from '../../lib/prometheus'
import { demoFlow } from '../../examples/demo-flow'
import { buildMetricsServer } from '../../examples/metrics-only'
import { event, post } from '../fixtures/helpers'

async function app (path?: string) {
  const server = Fastify()
  await server.register(prometheusMetrics, path === undefined ? {} : { path })
  await server.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook' })
  await server.ready()
  return server
}

t.test('prometheusMetrics serves the plugin\'s metrics at GET /metrics in one call, over HTTP (examples/metrics-only.ts)', async (t) => {
  const server = await buildMetricsServer()
  t.teardown(() => server.close())
  await server.listen({ port: 0, host: '127.0.0.1' })
  await post(server, event('session_start', 'prom-call'))
  await post(server, event('dtmf_received', 'prom-call', { digit: '1' }))
  const address = server.server.address() as { port: number }
  const response = await fetch(`http://127.0.0.1:${address.port}/metrics`)
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const text = await response.text()
  t.match(text, /^aiflow_events_total\{type="session_start",flow_version="sha256:[\w-]+",otel_scope_name="fastify-ai-flow"\} 1$/m, 'the events, counted')
  t.match(text, /^aiflow_events_total\{type="dtmf_received",[^}]*\} 1$/m)
  t.match(text, /^aiflow_calls_active\{[^}]*\} 1$/m, 'the live call')
  t.match(text, /^aiflow_reply_duration_seconds_count\{type="dtmf_received",[^}]*\} 1$/m, 'the reply histogram, in seconds as Prometheus names it')
})

t.test('another path; once the app closes, the next app in the process registers its own and counts from nothing', async (t) => {
  const first = await app('/internal/metrics')
  await post(first, event('session_start', 'first-call'))
  const served = await first.inject({ method: 'GET', url: '/internal/metrics' })
  t.equal(served.statusCode, 200)
  t.match(served.body, /^aiflow_events_total\{[^}]*\} 1$/m)
  t.equal((await first.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
  await first.close()

  const second = await app()
  t.teardown(() => second.close())
  await post(second, event('session_start', 'second-call'))
  await post(second, event('session_end', 'second-call'))
  const text = (await second.inject({ method: 'GET', url: '/metrics' })).body
  t.match(text, /^aiflow_events_total\{[^}]*type="session_start"[^}]*\} 1$/m, 'the second app counts its own')
  t.match(text, /^aiflow_calls_ended_total\{[^}]*\} 1$/m)
})

t.test('a meter provider registered already, or a wrong path, fails at registration, saying so', async (t) => {
  const first = await app()
  t.teardown(() => first.close())
  const second = Fastify()
  await t.rejects(async () => await second.register(prometheusMetrics).ready(), { message: 'prometheusMetrics: an OpenTelemetry meter provider is registered already; serve its metrics with its own exporter' })
  const third = Fastify()
  await t.rejects(async () => await third.register(prometheusMetrics, { path: 'metrics' }).ready(), new TypeError('prometheusMetrics: path must be a string that starts with /, got "metrics"'))
})
