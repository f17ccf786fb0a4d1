import type { ModelCallHook } from '../agent/model-calls'
import type { AnyStateMachine, InspectionEvent, Observer } from 'xstate'
import type { FlowAction, Session } from '../protocol'
import type { Clock } from './actor-host'
import type { ActionSink } from './call'
import type { Logger } from './logger'
import type { SessionStore } from '../stores/store'
import type { CallTurn } from './call-turn'
import type { CallTelemetry, Transport } from '../telemetry'

export interface RegistryOptions {
  flow: AnyStateMachine
  flowVersion: string
  /** Older flows, by version, for calls started with them. */
  flows: Record<string, AnyStateMachine>
  store: SessionStore
  replyTimeout: number
  /**
   * With a shared store: how long closing lets running work finish before
   * it hands the work over to the other instances, in ms. Default 10 s.
   */
  drainTimeout?: number
  sessionTtl: number
  maxSessions: number
  /** At most this many idle calls keep a live actor; the others wait as their stored record. Default: all. */
  liveActors?: number
  fallback: FlowAction[]
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Runs the flows' delays. Default: real time. */
  clock?: Clock
  /** Told of every event answered, in each call's order: recordings and simulators listen here. */
  observe?: (turn: CallTurn) => void
  /** Counts and traces calls; each call's summary line. Default: none. */
  telemetry?: CallTelemetry
  /** Takes part in the model calls and function tool runs of each call's agent states: recordings keep them, replays answer them. */
  modelCalls?: (callId: string, session: Readonly<Record<string, unknown>>) => ModelCallHook
  log: Logger
}

export interface DispatchOptions {
  /** The transport's logger; what the registry logs names the call with `sessionId`. */
  log: Logger
  /** False when the transport cannot carry a reply to this event: what the flow emits waits for the next one. */
  replyable?: boolean
  /**
   * Push mode, for transports that can send at any time: the reply goes to
   * the sink as soon as the event is handled, without waiting for work, and
   * so does everything the call's flow emits later, until another transport
   * carries one of its events or the sink is released.
   */
  sink?: ActionSink
  /** Which transport carried the event, for telemetry. Default `http`. */
  transport?: Transport
  /** The Fastify request that carried the event: the parent of its span under `@fastify/otel`. */
  request?: unknown
}

/** Told after a call changed (its state was saved) or ended; it must not throw. */
export type CallWatcher = (id: string, ended: boolean) => void

export interface IncomingEvent {
  type: string
  session: Session
}
