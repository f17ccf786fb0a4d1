import type * as Api from '@opentelemetry/api'

export type OtelApi = typeof Api

/** What this instance reports to: each half undefined when the application registered no SDK for it. */
export interface OtelTargets {
  api: OtelApi
  tracer: Api.Tracer | undefined
  meter: Api.Meter | undefined
}

/** The name the plugin's tracer and meter carry, as OpenTelemetry's instrumentation scope. */
export const SCOPE = 'fastify-ai-flow'

/**
 * `@opentelemetry/api`, an optional peer dependency: undefined when the
 * application does not have it. Loaded with `require`, so that an
 * application without it never fails to load the plugin.
 */
export function loadOtelApi (load: (id: string) => unknown = require): OtelApi | undefined {
  try {
    return load('@opentelemetry/api') as OtelApi
  } catch {
    return undefined
  }
}

/**
 * The tracer and meter of the SDK the application registered, asked once,
 * at registration. Without an SDK the API hands out no-op ones; those are
 * left out, so that nothing is done (nor allocated) per event for them.
 */
export function otelTargets (api: OtelApi | undefined): OtelTargets | undefined {
  if (api === undefined) return undefined
  // The API's global tracer provider is always a proxy; it has a delegate once an SDK registered one.
  const tracer = (api.trace.getTracerProvider() as Api.ProxyTracerProvider).getDelegateTracer(SCOPE)
  const meter = api.metrics.getMeter(SCOPE)
  const realMeter = meter === api.createNoopMeter() ? undefined : meter
  if (tracer === undefined && realMeter === undefined) return undefined
  return { api, tracer, meter: realMeter }
}
