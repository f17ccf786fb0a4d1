import type { Context, Exception, Tracer } from '@opentelemetry/api'
import type { OtelApi } from './otel-api'

/** Ends a work span: `ok` false when the work failed, with what it failed with. */
export type WorkEnd = (ok: boolean, error?: unknown) => void

/**
 * A span `aiflow.work <src>` for one piece of promise work a flow invoked,
 * child of the span of the event being handled when it started; ended when
 * the promise settles or its state is left. Work that stands in for a run
 * on another instance gets none: that instance traces it.
 */
export function workSpan (api: OtelApi, tracer: Tracer, callId: string, src: string, parent: Context = api.ROOT_CONTEXT): WorkEnd {
  const span = tracer.startSpan(`aiflow.work ${src}`, { attributes: { 'aiflow.call.id': callId, 'aiflow.work.src': src } }, parent)
  return (ok, error) => {
    if (!ok) {
      span.recordException(error as Exception)
      span.setStatus({ code: api.SpanStatusCode.ERROR })
    }
    span.end()
  }
}
