import type { AnyStateMachine, InspectionEvent, Observer } from 'xstate'
import { SILENT_EVENTS, type FlowAction } from '../protocol'
import { SessionRegistry, callView, type Logger, type SessionStore } from '../sessions'
import { noop } from '../sessions/call'
import { resolveOptions } from '../options'
import { TestClock } from './clock'
import { collectingLogger } from './logger'
import { withCoverage } from './coverage-record'
import { WEBSOCKET_ONLY_EVENTS } from './events'
import type { Answer, Driver } from './driver'
import type { ModelCallHook } from '../agent/model-calls'

/** The plugin's options that apply to a flow driven without a server. */
export interface FlowDriverOptions {
  replyTimeout?: number
  fallback?: FlowAction[]
  flowVersion?: string
  /** Where the call is kept between events. Default a `MemoryStore`; closed with the driver. */
  store?: SessionStore
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Gets the registry's log lines, for instance a pino logger. Default: none. */
  log?: Logger
  /** Takes part in the model calls and function tool runs of the call's agent states (a replay answers them from its recording). */
  modelCalls?: (callId: string, session: Readonly<Record<string, unknown>>) => ModelCallHook
}

/**
 * Which transport an event is taken to have come by. `webhook`: as the
 * plugin answers a POST, so `user_speech_started` and `session_end` get no
 * reply and what the flow emits for them leads the next one. `websocket`:
 * every event is answered at once. Unsaid, each event comes as the service
 * sends it: `user_speech_started` over the WebSocket (it has no other way),
 * every other event over the webhook.
 */
export type Transport = 'webhook' | 'websocket'

/**
 * Drives a flow in this process, through the same `SessionRegistry` the
 * plugin uses: the same validation of every action, the same fallback when
 * the flow fails, the same wait for promise work, and actions emitted
 * between events leading the next reply, as they do over the webhook. What
 * the flow emits on `user_speech_started` is answered at once, as over the
 * WebSocket, the only transport that carries that event. Only the clock
 * differs: the flow's delays run on a {@link TestClock}.
 *
 * @example
 * const call = new SimulatedCall(new FlowDriver(flow, { replyTimeout: 500 }))
 */
export class FlowDriver implements Driver {
  readonly clock = new TestClock()
  readonly errors: Error[] = []
  readonly #registry: SessionRegistry
  readonly #log: Logger
  #state: unknown

  constructor (flow: AnyStateMachine, options: FlowDriverOptions = {}) {
    const { log, modelCalls, ...rest } = options
    const resolved = resolveOptions({ flow, ...rest, inspect: withCoverage(rest.inspect) })
    this.#log = collectingLogger(this.errors, log)
    this.#registry = new SessionRegistry({
      ...resolved,
      clock: this.clock,
      log: this.#log,
      modelCalls,
      observe: (turn) => { this.#state = turn.state }
    })
  }

  /** Sends one event, as if it came by `over` (see {@link Transport}), and resolves with the reply. */
  async send (event: { type: string, session: { id: string } }, over?: Transport): Promise<Answer> {
    const transport = over ?? (WEBSOCKET_ONLY_EVENTS.has(event.type) ? 'websocket' : 'webhook')
    const replyable = transport === 'websocket' || !SILENT_EVENTS.has(event.type)
    // A reply may wait for its deadline, a timer that keeps no process up: this one does, so that a
    // script or a replay in a process with nothing else to do is not left unfinished.
    const awake = setInterval(noop, 60_000)
    try {
      const actions = await this.#registry.dispatch(event, { log: this.#log, replyable })
      return { actions, state: this.#state }
    } finally {
      clearInterval(awake)
    }
  }

  /**
   * Moves the clock. What the flow emits meanwhile waits for the next reply,
   * as over the webhook; it is also returned here, read from the store.
   */
  async wait (ms: number, sessionId: string): Promise<Answer> {
    const before = await this.queued(sessionId)
    await this.clock.advance(ms)
    const record = await this.#registry.record(sessionId)
    return { actions: record?.pending.slice(before) ?? [], state: record === undefined ? undefined : callView(record, sessionId).state }
  }

  /**
   * How many actions the flow emitted since its last reply: they lead the
   * next one. Over the WebSocket they would have been pushed when emitted.
   */
  async queued (sessionId: string): Promise<number> {
    return (await this.#registry.record(sessionId))?.pending.length ?? 0
  }

  now (): number {
    return this.clock.now()
  }

  async close (): Promise<void> {
    await this.#registry.close()
  }
}
