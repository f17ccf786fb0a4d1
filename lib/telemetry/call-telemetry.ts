import type { Context } from '@opentelemetry/api'
import { CallStats, type CallEnd, type Transport } from './call-stats'
import { kindOf } from './event-kinds'
import { EventTurn, type TurnContext } from './event-turn'
import { FlowMetrics } from './metrics'
import { otelTargets, loadOtelApi, type OtelApi } from './otel-api'
import { workSpan, type WorkEnd } from './work-spans'

/** The part of pino's logger telemetry uses. */
export interface SummaryLogger {
  info (obj: object, msg?: string): void
}

export interface CallTelemetryOptions {
  /** The version of this instance's flow. */
  flowVersion: string
  /** Where each call's summary line goes. */
  log: SummaryLogger
  /** `@opentelemetry/api`, or undefined without it. Default: loaded when installed. */
  api?: OtelApi | undefined
}

/** A request with `@fastify/otel`'s decorator: its span is the parent of the event's. */
interface TracedRequest {
  opentelemetry?: () => { context?: Context, instrumented?: boolean }
}

/**
 * Everything the plugin reports about calls, behind the few calls the
 * sessions layer makes: a summary line for each call when it ends, always;
 * spans and metrics through `@opentelemetry/api` when the application has
 * registered an SDK (checked once, here). Without one, `eventStarted`
 * returns undefined and each event costs a counter or two on its call.
 */
export class CallTelemetry {
  readonly #calls = new Map<string, CallStats>()
  readonly #flowVersion: string
  readonly #log: SummaryLogger
  readonly #turns: TurnContext | undefined

  constructor ({ flowVersion, log, api = loadOtelApi() }: CallTelemetryOptions) {
    this.#flowVersion = flowVersion
    this.#log = log
    const targets = otelTargets(api)
    if (targets === undefined) return
    const metrics = targets.meter === undefined ? undefined : new FlowMetrics(targets.meter, () => this.#calls.size)
    this.#turns = { api: targets.api, tracer: targets.tracer, metrics }
  }

  /** OpenTelemetry spans or metrics are being made: an SDK was registered before the plugin. */
  get enabled (): boolean {
    return this.#turns !== undefined
  }

  /** Calls counted here: those held by this instance. */
  get size (): number {
    return this.#calls.size
  }

  /** An event of a call arrived; over HTTP `request` is its Fastify request. Returns its turn while telemetry is on. */
  eventStarted (event: { type: string, session: { id: string }, barged_in?: unknown }, transport: Transport, request?: unknown): EventTurn | undefined {
    const id = event.session.id
    let stats = this.#calls.get(id)
    if (stats === undefined) {
      stats = new CallStats(id, Date.now(), this.#flowVersion, transport)
      this.#calls.set(id, stats)
    }
    const kind = kindOf(event.type)
    const barged = kind.type === 'user_speak' && event.barged_in === true
    stats.count(kind.type, barged, transport)
    if (this.#turns === undefined) return undefined
    this.#turns.metrics?.event(kind.type, stats.flowVersion, barged)
    const turn = new EventTurn(this.#turns, kind, event.type, stats, transport, this.#parentOf(request))
    stats.latest = turn
    return turn
  }

  /**
   * A call's promise work started running on this instance: a span
   * `aiflow.work <src>` under the event being handled. Returns what ends
   * it, with the work's outcome; undefined without tracing.
   */
  workStarted (callId: string, src: string): WorkEnd | undefined {
    const turns = this.#turns
    if (turns?.tracer === undefined) return undefined
    return workSpan(turns.api, turns.tracer, callId, src, this.#calls.get(callId)?.current?.context)
  }

  /** Times a store operation of a call, as a span under its event and in `aiflow.store.duration`. */
  storeOperation<T> (callId: string, operation: string, work: Promise<T>): Promise<T> {
    if (this.#turns === undefined) return work
    const stats = this.#calls.get(callId)
    return this.#timed(this.#turns, callId, operation, work, stats?.current ?? stats?.latest)
  }

  /** Times an event's wait for its call's lock in a shared store, from the moment it lined up (the event's arrival). */
  lockClaimed<T> (callId: string, claim: Promise<T>): Promise<T> {
    const turns = this.#turns
    if (turns === undefined) return claim
    const started = performance.now()
    claim.then(() => turns.metrics?.lockWait((performance.now() - started) / 1000), () => {})
    return this.#timed(turns, callId, 'lock', claim, this.#calls.get(callId)?.latest)
  }

  #timed<T> (turns: TurnContext, callId: string, operation: string, work: Promise<T>, parent: EventTurn | undefined): Promise<T> {
    const span = turns.tracer?.startSpan(`aiflow.store ${operation}`, {
      attributes: { 'aiflow.call.id': callId, 'aiflow.store.operation': operation }
    }, parent?.context)
    const started = performance.now()
    const done = (err?: unknown): void => {
      turns.metrics?.store(operation, (performance.now() - started) / 1000)
      if (err !== undefined) span?.setStatus({ code: turns.api.SpanStatusCode.ERROR, message: String(err) })
      span?.end()
    }
    work.then(() => done(), done)
    return work
  }

  /** The call's flow failed: its event's span records why, and the call's outcome is `flow_error`. */
  flowFailed (callId: string, err: Error): void {
    this.#calls.get(callId)?.fail(err, this.#turns?.metrics)
  }

  /** The flow emitted an action; `late` when its event's reply had gone already. */
  actionEmitted (callId: string, type: string, late: boolean): void {
    const stats = this.#calls.get(callId)
    if (stats !== undefined) stats.lastAction = type
    if (late) this.#turns?.metrics?.lateAction()
  }

  /** The call ended (`session_end`) or expired: its summary goes to the log, and to OpenTelemetry while it is on. */
  callEnded (callId: string, end: CallEnd, finalState: unknown, flowVersion = this.#flowVersion): void {
    const stats = this.#calls.get(callId)
    if (stats === undefined) return
    this.#calls.delete(callId)
    stats.flowVersion = flowVersion
    const summary = stats.summary(end, stats.statePath(finalState), Date.now())
    this.#log.info({ sessionId: callId, call: summary }, 'call ended')
    const turns = this.#turns
    if (turns === undefined) return
    turns.metrics?.ended(summary.outcome, flowVersion)
    this.#recordEnd(turns, callId, summary, stats.current)
  }

  /**
   * The call is no longer held here, and its end is another instance's to
   * report (it ended there, or goes on there): its counts here go, with no
   * summary, so that \`aiflow.calls.active\` counts only the calls held.
   */
  callLeft (callId: string): void {
    this.#calls.delete(callId)
  }

  /** Stops reporting: the application is closing. */
  close (): void {
    this.#turns?.metrics?.close()
    this.#calls.clear()
  }

  #recordEnd (turns: TurnContext, callId: string, summary: ReturnType<CallStats['summary']>, turn: EventTurn | undefined): void {
    if (turns.tracer === undefined) return
    const attributes = {
      'aiflow.call.id': callId,
      'aiflow.call.duration_ms': summary.durationMs,
      'aiflow.call.outcome': summary.outcome,
      'aiflow.call.barge_ins': summary.bargeIns,
      'aiflow.call.input_timeouts': summary.inputTimeouts,
      'aiflow.call.events': JSON.stringify(summary.events),
      'aiflow.state.final': summary.finalState,
      'aiflow.flow.version': summary.flowVersion,
      'aiflow.transport': summary.transport
    }
    if (turn?.span !== undefined) {
      turn.settled(summary.finalState)
      turn.span.addEvent('aiflow.call.ended', attributes)
      return
    }
    // An expired call has no event open: its summary is a span of its own.
    turns.tracer.startSpan('aiflow.call.ended', { attributes }, turns.api.ROOT_CONTEXT).end()
  }

  #parentOf (request: unknown): Context {
    const api = (this.#turns as TurnContext).api
    const traced = (request as TracedRequest | undefined)?.opentelemetry?.()
    if (traced?.context !== undefined && traced.instrumented !== false) return traced.context
    return request === undefined ? api.ROOT_CONTEXT : api.context.active()
  }
}
