import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api'
import type { OtelApi } from './otel-api'
import type { CallStats, Transport } from './call-stats'
import type { FlowMetrics } from './metrics'
import { statePath } from './state-path'

/** What an event's span and metrics need of the telemetry that made it. */
export interface TurnContext {
  api: OtelApi
  tracer: Tracer | undefined
  metrics: FlowMetrics | undefined
}

/**
 * One event of a call, from its arrival to its reply: its span
 * `aiflow.event <type>` and its reply time. Made only while an SDK is
 * registered; the registry tells it what happened along the way.
 */
export class EventTurn {
  readonly type: string
  readonly stats: CallStats
  /** Undefined when only metrics are on. */
  readonly span: Span | undefined
  readonly #context: TurnContext
  readonly #arrived = performance.now()
  #deliveredAt = 0
  /** Set on the span once, when it ends: each attribute set is checked by the SDK. */
  readonly #attributes: Attributes = {}
  #spanContext: Context | undefined

  constructor (context: TurnContext, event: { type: string }, callId: string, stats: CallStats, transport: Transport, parent: Context) {
    this.#context = context
    this.type = event.type
    this.stats = stats
    this.span = context.tracer?.startSpan(`aiflow.event ${event.type}`, undefined, parent)
    this.#attributes['aiflow.call.id'] = callId
    this.#attributes['aiflow.event.type'] = event.type
    this.#attributes['aiflow.transport'] = transport
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
    this.#attributes['aiflow.flow.version'] = flowVersion
    if (this.span !== undefined) this.#attributes['aiflow.state.before'] = statePath(stateBefore)
  }

  /** The wait for the work the event started is over; `deadlineHit` when the reply timeout ended it. */
  waited (deadlineHit: boolean): void {
    this.#attributes['aiflow.work.wait_ms'] = performance.now() - this.#deliveredAt
    this.#attributes['aiflow.work.deadline_hit'] = deadlineHit
  }

  /** The flow's state once the event is handled. */
  settled (stateAfter: unknown): void {
    if (this.span !== undefined) this.#attributes['aiflow.state.after'] = statePath(stateAfter) ?? ''
  }

  /** The flow failed while handling the event. */
  failed (err: Error): void {
    this.span?.recordException(err)
    this.span?.setStatus({ code: this.#context.api.SpanStatusCode.ERROR, message: err.message })
  }

  /** Ends the turn with its reply, or with the error that took its place. */
  readonly end = (reply: ReadonlyArray<{ type: string }> | undefined, err?: unknown): void => {
    if (this.stats.current === this) this.stats.current = undefined
    this.#context.metrics?.reply(this.type, this.stats.flowVersion, (performance.now() - this.#arrived) / 1000)
    if (this.span === undefined) return
    if (reply !== undefined) this.#attributes['aiflow.actions'] = reply.map((action) => action.type)
    // What the registry rejects with is always one of the plugin's errors.
    else this.failed(err as Error)
    this.span.setAttributes(this.#attributes)
    this.span.end()
  }

  /** Ends the turn when the reply is ready or has failed; the reply itself is left as it is. */
  follow (reply: Promise<ReadonlyArray<{ type: string }>>): void {
    reply.then(this.end, (err: unknown) => this.end(undefined, err))
  }
}
