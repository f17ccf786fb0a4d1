import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createRequire } from 'node:module'
import { metrics } from '@opentelemetry/api'
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'

/**
 * The metrics SDK the exporter itself depends on (it pins one version): a
 * reader and a provider of one copy, and one package fewer to install.
 */
const { MeterProvider } = createRequire(require.resolve('@opentelemetry/exporter-prometheus'))('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics')

/**
 * The plugin's histograms in seconds. Prometheus names carry their unit
 * (`aiflow_reply_duration_seconds_bucket`); the exporter does not add it, so these views do.
 */
const SECONDS = ['aiflow.reply.duration', 'aiflow.store.duration', 'aiflow.lock.wait', 'aiflow.agent.first_sentence', 'aiflow.tool.duration']

export interface PrometheusMetricsOptions {
  /** Where the metrics are served. Default `/metrics`. */
  path?: string
}

async function prometheus (fastify: FastifyInstance, { path = '/metrics' }: PrometheusMetricsOptions): Promise<void> {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`prometheusMetrics: path must be a string that starts with /, got ${JSON.stringify(path)}`)
  const exporter = new PrometheusExporter({ preventServerStart: true })
  const provider = new MeterProvider({ readers: [exporter], views: SECONDS.map((name) => ({ instrumentName: name, name: `${name}_seconds` })) })
  // The API keeps one global provider per process: a second one is refused, and this one would count nothing.
  if (!metrics.setGlobalMeterProvider(provider)) {
    await provider.shutdown()
    throw new Error('prometheusMetrics: an OpenTelemetry meter provider is registered already; serve its metrics with its own exporter')
  }
  const serializer = new PrometheusSerializer()
  fastify.get(path, async (request, reply) => {
    const { resourceMetrics } = await exporter.collect()
    return await reply.type('text/plain; version=0.0.4; charset=utf-8').send(serializer.serialize(resourceMetrics))
  })
  fastify.addHook('onClose', async () => {
    await provider.shutdown()
    // Lets an application made after this one in the same process register its own.
    metrics.disable()
  })
}

/**
 * Metrics for Prometheus in one call: registers OpenTelemetry's metrics SDK
 * with a Prometheus exporter as the process's meter provider, and serves
 * `GET /metrics` (or `path`) in Prometheus text format. Register it before
 * `fastifyAiFlow`, which asks for a meter provider once, when it is
 * registered. Needs the optional peers `@opentelemetry/api` and
 * `@opentelemetry/exporter-prometheus`.
 *
 * @example
 * await app.register(prometheusMetrics)
 * await app.register(fastifyAiFlow, { flow })
 */
export const prometheusMetrics = fp(prometheus, { name: 'fastify-ai-flow-prometheus', fastify: '5.x' })
