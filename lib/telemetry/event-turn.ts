import type { Context, Span, Tracer } from '@opentelemetry/api'
import type { OtelApi } from './otel-api'
import type { CallStats, Transport } from './call-stats'
import type { EventKind } from './event-kinds'
import type { FlowMetrics } from './metrics'

/** What an event's span and metrics need of the telemetry that made it. */
export interface TurnContext {
  api: OtelApi
  tracer: Tracer | undefined
  metrics: FlowMetrics | undefined
}

/**
 * The attributes of an event's span, every key present from the start so
 * that each turn's object has the same shape. The SDK skips those still
 * undefined when they are set on the span.
 */
interface EventAttributes {
  [key: string]: string | number | boolean | string[] | undefined
  'aiflow.call.id': string
  'aiflow.event.type': string
  'aiflow.transport': Transport
  'aiflow.flow.version': string
  'aiflow.state.before': string | undefined
  'aiflow.state.after': string | undefined
  'aiflow.actions': string[] | undefined
  'aiflow.work.wait_ms': number | undefined
  'aiflow.work.deadline_hit': boolean | undefined
}

/**
 * One event of a call, from its arrival to its reply: its span
 * `aiflow.event <type>` and its reply time. Made only while an SDK is
 * registered; the registry tells it what happened along the way.
 *
 * The span gets its attributes once, when it ends: the SDK checks and
 * copies each attribute it is given, and given at `startSpan` it does so
 * three times (measured in BENCHMARKS.md, "Telemetry").
 */
export class EventTurn {
  /** The protocol's event type, or `other`: what the metrics count it as. */
  readonly type: string
  readonly stats: CallStats
  /** Undefined when only metrics are on. */
  readonly span: Span | undefined
  readonly #context: TurnContext
  readonly #arrived = performance.now()
  #deliveredAt = 0
  /** Undefined when only metrics are on. */
  readonly #attributes: EventAttributes | undefined
  #spanContext: Context | undefined

  /** `eventType` is the event's own type, kept on its span alone: a span is exported and let go. */
  constructor (context: TurnContext, kind: EventKind, eventType: string, stats: CallStats, transport: Transport, parent: Context) {
    this.#context = context
    this.type = kind.type
    this.stats = stats
    if (context.tracer === undefined) return
    this.span = context.tracer.startSpan(kind.spanName, undefined, parent)
    this.#attributes = {
      // The call's id as its first event had it: each event's own copy is left to the garbage collector.
      'aiflow.call.id': stats.id,
      'aiflow.event.type': eventType,
      'aiflow.transport': transport,
      'aiflow.flow.version': stats.flowVersion,
      'aiflow.state.before': undefined,
      'aiflow.state.after': undefined,
      'aiflow.actions': undefined,
      'aiflow.work.wait_ms': undefined,
      'aiflow.work.deadline_hit': undefined
    }
  }

  /** The context this event's child spans (work, store) start in; asked only while tracing, when the span exists. */
  get context (): Context {
    this.#spanContext ??= this.#context.api.trace.setSpan(this.#context.api.ROOT_CONTEXT, this.span as Span)
    return this.#spanContext
  }

  /** The event's turn has come (earlier events of the call are done): what its call does now is this event's. */
  begin (): void {
    this.stats.current = this
  }

  /** The call is ready for the event (restored if it had to be): its state before, and the flow version it runs. */
  delivering (stateBefore: unknown, flowVersion: string): void {
    this.stats.flowVersion = flowVersion
    this.#deliveredAt = performance.now()
    const attributes = this.#attributes
    if (attributes === undefined) return
    attributes['aiflow.flow.version'] = flowVersion
    attributes['aiflow.state.before'] = this.stats.statePath(stateBefore)
  }

  /** The wait for the work the event started is over; `deadlineHit` when the reply timeout ended it. */
  waited (deadlineHit: boolean): void {
    const attributes = this.#attributes
    if (attributes === undefined) return
    attributes['aiflow.work.wait_ms'] = performance.now() - this.#deliveredAt
    attributes['aiflow.work.deadline_hit'] = deadlineHit
  }

  /** The flow's state once the event is handled. */
  settled (stateAfter: unknown): void {
    if (this.#attributes !== undefined) this.#attributes['aiflow.state.after'] = this.stats.statePath(stateAfter) ?? ''
  }

  /** The flow failed while handling the event. */
  failed (err: Error): void {
    this.span?.recordException(err)
    this.span?.setStatus({ code: this.#context.api.SpanStatusCode.ERROR, message: err.message })
  }

  /** Ends the turn with its reply, or with the error that took its place. */
  end (reply: ReadonlyArray<{ type: string }> | undefined, err?: unknown): void {
    if (this.stats.current === this) this.stats.current = undefined
    this.#context.metrics?.reply(this.type, this.stats.flowVersion, (performance.now() - this.#arrived) / 1000)
    const attributes = this.#attributes
    if (attributes === undefined) return
    if (reply !== undefined) attributes['aiflow.actions'] = reply.map((action) => action.type)
    // What the registry rejects with is always one of the plugin's errors.
    else this.failed(err as Error)
    const span = this.span as Span
    span.setAttributes(attributes)
    span.end()
  }

  /** Ends the turn when the reply is ready or has failed; the reply itself is left as it is. */
  follow (reply: Promise<ReadonlyArray<{ type: string }>>): void {
    reply.then((actions) => { this.end(actions) }, (err: unknown) => { this.end(undefined, err) })
  }
}
