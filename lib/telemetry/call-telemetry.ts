import type { Context } from '@opentelemetry/api'
import { CallStats, type CallEnd, type Transport } from './call-stats'
import { kindOf } from './event-kinds'
import { EventTurn, type TurnContext } from './event-turn'
import { FlowMetrics } from './metrics'
import { otelTargets, loadOtelApi, type OtelApi } from './otel-api'
import { workSpan, type WorkEnd } from './work-spans'
import { AgentCallStats, AgentTurn } from './agent-turn'
import { ToolKinds } from './tool-kinds'
import type { AgentTurnEnd, ToolOutcome } from '../agent/turn-observer'

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
  /** The function tools the flows declare: metrics and span names count any other as `other`. Default none. */
  tools?: Iterable<string>
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
  readonly #tools: ToolKinds

  constructor ({ flowVersion, log, api = loadOtelApi(), tools = [] }: CallTelemetryOptions) {
    this.#flowVersion = flowVersion
    this.#log = log
    this.#tools = new ToolKinds(tools)
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
    if (stats !== undefined) {
      stats.lastAction = type
      const turn = stats.agent?.turn ?? stats.agent?.closing
      if (type === 'speak' && turn !== undefined && turn.firstSentenceMs === undefined && !turn.awaitingReply) this.#spoke(stats, turn)
    }
    if (late) this.#turns?.metrics?.lateAction()
  }

  /**
   * The first sentence of an agent turn: over a WebSocket it leaves now; over
   * the webhook with the next reply, whether the event being answered's or,
   * when that went already, the next event's.
   */
  #spoke (stats: CallStats, turn: AgentTurn): void {
    if (stats.transport === 'websocket') turn.heard(performance.now())
    else turn.awaitingReply = true
  }

  /** A reply to one of the call's events is ready: a first sentence it carries has left. */
  replied (callId: string): void {
    const agent = this.#calls.get(callId)?.agent
    if (agent === undefined) return
    const now = performance.now()
    if (agent.turn?.awaitingReply === true) agent.turn.heard(now)
    if (agent.closing?.awaitingReply === true) agent.closing.heard(now)
    for (const turn of agent.waiting) {
      turn.heard(now)
      this.#finishTurn(this.#calls.get(callId) as CallStats, turn)
    }
    agent.waiting.length = 0
  }

  /** A caller's turn reached the agent state `agent`: a turn begun before it that is still going was cut off. */
  agentTurnStarted (callId: string, agent: string): void {
    const stats = this.#calls.get(callId)
    if (stats === undefined) return
    const agentStats = stats.agent ??= new AgentCallStats()
    if (agentStats.turn !== undefined) this.agentTurnEnded(callId, 'interrupted')
    const turns = this.#turns
    const span = turns?.tracer?.startSpan('aiflow.agent.turn', undefined, stats.current?.context ?? turns.api.ROOT_CONTEXT)
    agentStats.turn = new AgentTurn(agent, performance.now(), span)
  }

  /**
   * The call's agent turn ended. What the flow emits in the same step (the
   * answer's last sentence) reaches `actionEmitted` after the flow's own
   * actions have run: the turn is closed once the step is over, and one
   * whose first sentence is yet to leave with a reply is finished then.
   */
  agentTurnEnded (callId: string, end: AgentTurnEnd): void {
    const stats = this.#calls.get(callId)
    const agent = stats?.agent
    const turn = agent?.turn
    if (agent === undefined || turn === undefined) return
    agent.turn = undefined
    agent.closing = turn
    turn.end = end
    queueMicrotask(() => {
      if (agent.closing === turn) agent.closing = undefined
      if (turn.awaitingReply) agent.waiting.push(turn)
      else this.#finishTurn(stats as CallStats, turn)
    })
  }

  /** The model of the call's agent turn is asked; returns what times it once it answered or stopped. */
  modelStarted (callId: string): () => void {
    const agent = this.#calls.get(callId)?.agent
    const turn = agent?.turn
    const started = performance.now()
    return () => {
      const ms = performance.now() - started
      if (turn !== undefined) turn.modelMs += ms
      if (agent !== undefined) agent.modelMs += ms
    }
  }

  /**
   * A function tool of the call starts to run: a span `aiflow.tool <name>`
   * under its agent turn (else its event), and once it ends its time and
   * outcome in `aiflow.tool.duration` and `aiflow.tool.calls`.
   */
  toolStarted (callId: string, name: string, round: number): (outcome: ToolOutcome) => void {
    const stats = this.#calls.get(callId)
    const turn = stats?.agent?.turn
    const kind = this.#tools.of(name)
    const turns = this.#turns
    const span = turns?.tracer?.startSpan(kind.spanName, undefined, turn?.context(turns.api) ?? stats?.current?.context ?? turns.api.ROOT_CONTEXT)
    const started = performance.now()
    return (outcome) => {
      turns?.metrics?.tool(kind.name, outcome, (performance.now() - started) / 1000)
      if (turn !== undefined) {
        turn.toolCalls++
        turn.rounds = Math.max(turn.rounds, round)
      }
      // A tool run again here for a call whose turn began on an instance that died still counts for the call.
      if (stats !== undefined) {
        const agent = stats.agent ??= new AgentCallStats()
        agent.toolCalls++
        if (outcome !== 'ok') agent.toolFailures++
      }
      if (span === undefined) return
      span.setAttributes({ 'aiflow.call.id': callId, 'aiflow.tool.name': name, 'aiflow.tool.outcome': outcome, 'aiflow.tool.round': round })
      if (outcome === 'error' || outcome === 'timeout') span.setStatus({ code: (turns as TurnContext).api.SpanStatusCode.ERROR, message: outcome })
      span.end()
    }
  }

  /** A turn is over, its first sentence known or never to be: it counts, in the summary, the histogram and its span. */
  #finishTurn (stats: CallStats, turn: AgentTurn): void {
    const agent = stats.agent as AgentCallStats
    agent.add(turn)
    const turns = this.#turns
    if (turn.firstSentenceMs !== undefined) turns?.metrics?.firstSentence(turn.firstSentenceMs / 1000, stats.flowVersion, stats.transport)
    turn.span?.setAttributes({
      'aiflow.call.id': stats.id,
      'aiflow.agent.state': turn.agent,
      'aiflow.agent.outcome': turn.end,
      'aiflow.agent.first_sentence_ms': turn.firstSentenceMs,
      'aiflow.agent.model_ms': turn.modelMs,
      'aiflow.agent.tool_calls': turn.toolCalls,
      'aiflow.agent.tool_rounds': turn.rounds
    })
    turn.span?.end()
  }

  /** The call's agent turns still open end with it: cut off, their first sentence, if any, never to leave. */
  #endAgentTurns (stats: CallStats): void {
    const agent = stats.agent
    if (agent === undefined) return
    const turn = agent.turn
    agent.turn = undefined
    if (turn !== undefined) {
      turn.end = 'interrupted'
      this.#finishTurn(stats, turn)
    }
    for (const waiting of agent.waiting) this.#finishTurn(stats, waiting)
    agent.waiting.length = 0
  }

  /** The call ended (`session_end`) or expired: its summary goes to the log, and to OpenTelemetry while it is on. */
  callEnded (callId: string, end: CallEnd, finalState: unknown, flowVersion = this.#flowVersion): void {
    const stats = this.#calls.get(callId)
    if (stats === undefined) return
    this.#calls.delete(callId)
    stats.flowVersion = flowVersion
    this.#endAgentTurns(stats)
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
    const stats = this.#calls.get(callId)
    if (stats === undefined) return
    this.#calls.delete(callId)
    this.#endAgentTurns(stats)
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
