import { metrics } from '@opentelemetry/api'
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node'
import { startPlugin } from './plugin'
import type { Running } from './running'

/** Takes everything and sends it nowhere: the SDK's work is measured, not a backend's. */
const nowhere: SpanExporter & PushMetricExporter = {
  // `ExportResultCode.SUCCESS` of @opentelemetry/core, which this package does not depend on.
  export: (_items: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }),
  forceFlush: async () => {},
  shutdown: async () => {}
}

/**
 * (b) with telemetry on, as a production server runs it: an OpenTelemetry
 * SDK registered before the plugin, every span batched, metrics read every
 * few seconds, both to an exporter that drops them. No `@fastify/otel`:
 * what is measured is what the plugin adds.
 */
export async function startPluginWithTelemetry (): Promise<Running> {
  const sdk = registerSdk()
  const running = await startPlugin()
  return {
    port: running.port,
    close: async () => {
      await running.close()
      await sdk.shutdown()
    }
  }
}

/** Registers the SDK globally, as an application does before it registers the plugin. */
export function registerSdk (): { shutdown: () => Promise<void> } {
  const meters = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: nowhere, exportIntervalMillis: 5000 })] })
  metrics.setGlobalMeterProvider(meters)
  const tracer = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(nowhere)] })
  tracer.register()
  return { shutdown: async () => { await tracer.shutdown(); await meters.shutdown() } }
}
