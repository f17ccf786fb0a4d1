import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'
import { NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import type { FastifyInstance } from 'fastify'

/**
 * The plugin's histograms in seconds. Prometheus names carry their unit
 * (`aiflow_reply_duration_seconds_bucket`); this exporter does not add it, so these views do.
 */
const SECONDS = ['aiflow.reply.duration', 'aiflow.store.duration', 'aiflow.lock.wait', 'aiflow.agent.first_sentence', 'aiflow.tool.duration']

export interface DemoTelemetry {
  /** Serves `GET /metrics` in Prometheus text format and, with traces, traces every request. Register before the plugin. */
  install (app: FastifyInstance): void
  shutdown (): Promise<void>
}

/**
 * The application's OpenTelemetry SDK, as a production server would set it
 * up: metrics read by Prometheus from `GET /metrics`; spans, when an
 * exporter is given, for every request (`@fastify/otel`) and every event
 * of a call (the plugin). It registers the global providers, so it is made
 * once per process, before the plugin is registered.
 */
export function startTelemetry ({ spans }: { spans?: SpanExporter } = {}): DemoTelemetry {
  const exporter = new PrometheusExporter({ preventServerStart: true })
  const meterProvider = new MeterProvider({ readers: [exporter], views: SECONDS.map((name) => ({ instrumentName: name, name: `${name}_seconds` })) })
  metrics.setGlobalMeterProvider(meterProvider)
  const tracerProvider = spans === undefined ? undefined : new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  // Also installs the context manager that lets an event's span find its request's.
  tracerProvider?.register()
  const requests = tracerProvider === undefined ? undefined : new FastifyOtelInstrumentation()
  requests?.setTracerProvider(tracerProvider as NodeTracerProvider)
  const serializer = new PrometheusSerializer()

  return {
    install (app) {
      // Fastify loads plugins in order: the routes the plugins registered after this one add are traced.
      if (requests !== undefined) app.register(requests.plugin())
      app.get('/metrics', async (request, reply) => {
        const { resourceMetrics } = await exporter.collect()
        return await reply.type('text/plain; version=0.0.4; charset=utf-8').send(serializer.serialize(resourceMetrics))
      })
    },
    async shutdown () {
      await meterProvider.shutdown()
      await tracerProvider?.shutdown()
    }
  }
}
