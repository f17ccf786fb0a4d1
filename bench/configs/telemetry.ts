import { metrics } from '@opentelemetry/api'
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-node'
import { startPlugin } from './plugin'
import type { Running } from './running'
import type { TelemetryParts } from '../options'

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
export async function startPluginWithTelemetry (parts: TelemetryParts = 'all'): Promise<Running> {
  const sdk = registerSdk(parts)
  const running = await startPlugin()
  return {
    port: running.port,
    close: async () => {
      await running.close()
      await sdk.shutdown()
    }
  }
}

/**
 * Registers the SDK globally, as an application does before it registers
 * the plugin: all of it, or (to tell their costs apart) only its tracer
 * provider, with the context manager it registers, or only its meter
 * provider; `sampled` is all of it with one trace in ten sampled, as busy
 * servers often run.
 */
export function registerSdk (parts: TelemetryParts = 'all'): { shutdown: () => Promise<void> } {
  const meters = parts === 'spans' ? undefined : new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: nowhere, exportIntervalMillis: 5000 })] })
  if (meters !== undefined) metrics.setGlobalMeterProvider(meters)
  const sampler = parts === 'sampled' ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }) : undefined
  const tracer = parts === 'metrics' ? undefined : new NodeTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(nowhere)] })
  tracer?.register()
  return { shutdown: async () => { await tracer?.shutdown(); await meters?.shutdown() } }
}
