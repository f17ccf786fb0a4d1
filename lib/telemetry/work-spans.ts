import type { Tracer } from '@opentelemetry/api'
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate'
import type { OtelApi } from './otel-api'
import type { CallStats } from './call-stats'

export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void)

/** Tells promise logic from the rest: the sessions layer knows how. */
export type IsWork = (logic: never) => boolean

/**
 * An inspection observer that gives each promise actor a flow invokes a
 * span `aiflow.work <src>`, child of the span of the event being handled
 * when it started, ended when the promise settles or its state is left.
 * Each actor system is one call: its root actor's id is the call's id.
 */
export function workSpans (
  api: OtelApi, tracer: Tracer, statsOf: (callId: string) => CallStats | undefined, isWork: IsWork, inner?: Inspector
): (event: InspectionEvent) => void {
  const calls = new WeakMap<object, string>()
  const forward = typeof inner === 'function' ? inner : inner?.next?.bind(inner)
  return (event) => {
    forward?.(event)
    if (event.type !== '@xstate.actor') return
    // Inspection types it loosely; it is an actor, with its system and id.
    const ref = event.actorRef as AnyActorRef
    if (ref.sessionId === event.rootId) {
      calls.set(ref.system, ref.id)
      return
    }
    const callId = calls.get(ref.system)
    if (callId === undefined || !isWork((ref as unknown as { logic: never }).logic)) return
    start(api, tracer, ref, callId, statsOf(callId)?.current?.context)
  }
}

function start (api: OtelApi, tracer: Tracer, ref: AnyActorRef, callId: string, parent = api.ROOT_CONTEXT): void {
  const src = typeof ref.src === 'string' ? ref.src : ref.id
  const span = tracer.startSpan(`aiflow.work ${src}`, { attributes: { 'aiflow.call.id': callId, 'aiflow.work.src': src } }, parent)
  ref.subscribe({
    complete: () => span.end(),
    error: (err: unknown) => {
      span.recordException(err instanceof Error ? err : String(err))
      span.setStatus({ code: api.SpanStatusCode.ERROR })
      span.end()
    }
  })
}
