import type { Exception, Tracer } from '@opentelemetry/api'
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
    if (!isWork((ref as unknown as { logic: never }).logic)) return
    // The root actor comes first: its system is known by the time its children start.
    const callId = calls.get(ref.system) as string
    start(api, tracer, ref, callId, statsOf(callId)?.current?.context)
  }
}

/** What the flow calls the work: its name in `setup({ actors })`, else (inline or spawned logic) its id. */
function nameOf (ref: AnyActorRef): string {
  // XState names inline invoked logic itself (`xstate.invoke.0.(machine).state`); spawned logic keeps no name.
  return typeof ref.src === 'string' && !ref.src.startsWith('xstate.') ? ref.src : ref.id
}

function start (api: OtelApi, tracer: Tracer, ref: AnyActorRef, callId: string, parent = api.ROOT_CONTEXT): void {
  const src = nameOf(ref)
  const span = tracer.startSpan(`aiflow.work ${src}`, { attributes: { 'aiflow.call.id': callId, 'aiflow.work.src': src } }, parent)
  ref.subscribe({
    complete: () => span.end(),
    error: (err: unknown) => {
      span.recordException(err as Exception)
      span.setStatus({ code: api.SpanStatusCode.ERROR })
      span.end()
    }
  })
}
