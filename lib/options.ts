import type { AnyStateMachine, InspectionEvent, Observer } from 'xstate'
import { formatProblems, validateAction, type FlowAction } from './protocol'
import { flowVersionOf, hangup, speak } from './flow'
import { MemoryStore, type SessionStore } from './stores'
import { InvalidOptionError } from './errors'
import { DRAIN_TIMEOUT } from './sessions/closing'
import { resolveOutboundOptions, type OutboundOptions } from './outbound'
import type { RecordOptions } from './recording'

export interface FastifyAiFlowOptions {
  /** The call flow: an XState v5 machine, one actor per call. */
  flow: AnyStateMachine
  /** Where the service posts events. Default `/webhook`; Fastify's `prefix` applies. */
  path?: string
  /** Put before `path`, as Fastify's own `prefix` would (which a fastify-plugin plugin ignores). */
  prefix?: string
  /** When set, requests must carry it in `X-API-TOKEN` or get 401. */
  token?: string
  /** How long a reply waits for promise work its event started, in ms. Default 3000. */
  replyTimeout?: number
  /** A call with no event for this long is dropped, in ms. Default 30 minutes. */
  sessionTtl?: number
  /**
   * With a shared store (`RedisStore`): how long `app.close()` lets the work
   * still running here (a model's answer, a booking) finish, its results
   * kept with their calls, before it hands that work over to the other
   * instances, which run it again at once with the same keys, in ms. `0`
   * hands it over at once. Keep it below the orchestrator's grace period,
   * with `replyTimeout` and a margin. Default 10000.
   */
  drainTimeout?: number
  /** At most this many live calls; further new calls get 503. Default 10000. */
  maxSessions?: number
  /**
   * At most this many idle calls keep their flow's actor in memory (about
   * 5 KB each with the demo flow); the least recently active others are
   * parked as their record (about 1.2 KB in memory) and restored by their
   * next event. Default 1000; `Infinity` keeps every call's actor.
   */
  liveActors?: number
  /** The largest accepted body, in bytes; larger ones get 413. Default 65536. */
  bodyLimit?: number
  /**
   * The deepest nesting of arrays and objects accepted in a body or a
   * WebSocket frame. Deeper ones are refused before they are parsed: 400,
   * or an ignored frame. Default 64.
   */
  maxDepth?: number
  /** Where calls are kept between events. Default a `MemoryStore`. */
  store?: SessionStore
  /** Names the flow's version in stored calls. Default: a digest of the flow's states and transitions (`flowVersionOf`). */
  flowVersion?: string
  /** Older flows by version: stored calls started with one of them go on with it. Default `{}`. */
  flows?: Record<string, AnyStateMachine>
  /** The reply when the flow fails. Default: an apology, then `hangup`. `[]` answers 204. */
  fallback?: FlowAction[]
  /** Handed to every actor, for `@statelyai/inspect` or any inspection observer. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Serves a page of the live calls, each in its flow's diagram. Off by default. */
  liveView?: LiveViewOptions
  /** Also serve the service's WebSocket transport: `true` for the defaults, or its settings. */
  websocket?: boolean | WebSocketOptions
  /** Lets `fastify.aiFlow.call` start calls through the service's API. */
  outbound?: OutboundOptions
  /**
   * Writes every call, event by event, as JSON Lines, the input of
   * `fastify-ai-flow replay`: `{ dir }` (a file per call) or `{ stream }`.
   * Phone numbers are masked unless `redactPhoneNumbers: false`.
   */
  record?: RecordOptions
  /**
   * Serves a readiness check for load balancers and orchestrators:
   * `true` for the defaults, or its settings. Off by default.
   */
  readiness?: boolean | ReadinessOptions
}

export interface ReadinessOptions {
  /** Where the check is served, after `prefix`. Default `/ready`. */
  path?: string
  /** How long the store has to answer the check's lookup, in ms. Default 500. */
  timeout?: number
}

export interface LiveViewOptions {
  /** Where the page is served, after `prefix`. Default `/live`. */
  path?: string
  /** The page's own token, sent as `Authorization: Bearer <token>`; at least 16 characters. */
  token: string
}

export interface WebSocketOptions {
  /** Where the service connects. Default `/ws`; `prefix` applies. */
  path?: string
  /** The largest accepted frame, in bytes. Default 65536. */
  maxPayload?: number
  /** A socket with more than this many bytes waiting to be sent is closed with 1008. Default 1 MiB. */
  maxBufferedBytes?: number
  /** How often the peer is pinged, in ms; a peer that misses a whole interval is closed. Default 30000. */
  pingInterval?: number
}

export type ResolvedOptions = Required<Omit<FastifyAiFlowOptions, 'token' | 'inspect' | 'prefix' | 'websocket' | 'outbound' | 'record' | 'liveView' | 'readiness'>> &
Pick<FastifyAiFlowOptions, 'token' | 'inspect' | 'prefix' | 'record'> & {
  liveView: Required<LiveViewOptions> | undefined
  readiness: Required<ReadinessOptions> | undefined
  websocket: Required<WebSocketOptions> | undefined
  outbound: Required<OutboundOptions> | undefined
}

export const defaultFallback: FlowAction[] = [
  speak('Sorry, something went wrong on our side. Please call again later.'),
  hangup()
]

function fail (name: string, given: unknown, allowed: string): never {
  const shown = typeof given === 'function' ? 'a function' : JSON.stringify(given) ?? String(given)
  throw new InvalidOptionError(`${name} must be ${allowed}, got ${shown}`)
}

function positiveInteger (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(name, value, 'a positive integer')
  return value
}

/** The longest a timer can wait, in ms. */
const LONGEST_DELAY = 2 ** 31 - 1

function delay (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > LONGEST_DELAY) {
    fail(name, value, `a whole number of ms from 0 to ${LONGEST_DELAY}`)
  }
  return value
}

function count (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (value !== Infinity && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    fail(name, value, 'a whole number of 0 or more, or Infinity')
  }
  return value as number
}

function isMachine (value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && 'root' in value &&
    typeof (value as { transition?: unknown }).transition === 'function'
}

function isStore (value: unknown): value is SessionStore {
  const store = value as Partial<SessionStore> | null
  return typeof store === 'object' && store !== null &&
    typeof store.get === 'function' && typeof store.set === 'function' && typeof store.delete === 'function'
}

function checkFlows (value: unknown, current: string): Record<string, AnyStateMachine> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('flows', value, 'an object of flow versions to machines')
  for (const [version, flow] of Object.entries(value)) {
    if (!isMachine(flow)) fail(`flows['${version}']`, flow, 'an XState v5 machine')
    if (version === current) fail(`flows['${version}']`, version, 'a version other than flowVersion (that one is flow)')
  }
  return value as Record<string, AnyStateMachine>
}

function checkFallback (value: unknown): FlowAction[] {
  if (value === undefined) return defaultFallback
  if (!Array.isArray(value)) fail('fallback', value, 'an array of actions')
  for (const action of value) {
    const result = validateAction({ ...action, session_id: 'fallback' })
    if (!result.ok) fail('fallback', action, `a valid action (${formatProblems(result.problems, 'action')})`)
  }
  return value
}

function checkLiveView (value: unknown): Required<LiveViewOptions> | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null) fail('liveView', value, 'an object with a token')
  const { path = '/live', token } = value as Partial<LiveViewOptions>
  if (typeof path !== 'string' || !path.startsWith('/')) fail('liveView.path', path, 'a string starting with /')
  // The page shows who is calling: a guessable token would show it to anyone.
  if (typeof token !== 'string' || token.length < 16) fail('liveView.token', token === undefined ? token : '…', 'a string of at least 16 characters')
  return { path: path.replace(/\/+$/, '') || '/', token }
}

function checkRecord (value: unknown): RecordOptions | undefined {
  if (value === undefined) return undefined
  const record = value as Partial<{ dir: unknown, stream: { write?: unknown }, redactPhoneNumbers: unknown }> | null
  const dir = typeof record?.dir === 'string' && record.dir !== ''
  const stream = typeof record?.stream?.write === 'function'
  if (dir === stream) fail('record', value, 'an object with either dir (a directory) or stream (a writable stream)')
  if (record?.redactPhoneNumbers !== undefined && typeof record.redactPhoneNumbers !== 'boolean') {
    fail('record.redactPhoneNumbers', record.redactPhoneNumbers, 'a boolean')
  }
  return value as RecordOptions
}

function checkWebSocket (value: unknown): Required<WebSocketOptions> | undefined {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'object' || value === null)) fail('websocket', value, 'true, false or an object')
  const given: WebSocketOptions = value === true ? {} : value
  const { path = '/ws' } = given
  if (typeof path !== 'string' || !path.startsWith('/')) fail('websocket.path', path, 'a string starting with /')
  return {
    path,
    maxPayload: positiveInteger('websocket.maxPayload', given.maxPayload, 65_536),
    maxBufferedBytes: positiveInteger('websocket.maxBufferedBytes', given.maxBufferedBytes, 1024 * 1024),
    pingInterval: positiveInteger('websocket.pingInterval', given.pingInterval, 30_000)
  }
}

function checkReadiness (value: unknown): Required<ReadinessOptions> | undefined {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'object' || value === null)) fail('readiness', value, 'true, false or an object')
  const given: ReadinessOptions = value === true ? {} : value
  const { path = '/ready' } = given
  if (typeof path !== 'string' || !path.startsWith('/')) fail('readiness.path', path, 'a string starting with /')
  return { path, timeout: positiveInteger('readiness.timeout', given.timeout, 500) }
}

/** How long a reply waits for promise work its event started, unless told otherwise, in ms. */
export const DEFAULT_REPLY_TIMEOUT = 3000

/** Checks every option at registration and fills in the defaults. */
export function resolveOptions (options: FastifyAiFlowOptions): ResolvedOptions {
  const { flow, path = '/webhook', token, store, inspect } = options
  if (!isMachine(flow)) fail('flow', flow, 'an XState v5 machine (createMachine or setupFlow().createMachine)')
  const flowVersion = options.flowVersion ?? flowVersionOf(flow)
  if (typeof path !== 'string' || !path.startsWith('/')) fail('path', path, 'a string starting with /')
  if (token !== undefined && (typeof token !== 'string' || token === '')) fail('token', token, 'a non-empty string')
  if (typeof flowVersion !== 'string' || flowVersion === '') fail('flowVersion', flowVersion, 'a non-empty string')
  if (store !== undefined && !isStore(store)) fail('store', store, 'an object with get, set and delete methods')
  if (store?.lock !== undefined && (typeof store.lock !== 'function' || typeof store.unlock !== 'function')) {
    fail('store.lock', store.lock, 'a function, with store.unlock one too')
  }
  if (inspect !== undefined && typeof inspect !== 'function' && typeof inspect !== 'object') fail('inspect', inspect, 'an inspection observer')
  return {
    flow,
    path,
    token,
    flowVersion,
    flows: checkFlows(options.flows, flowVersion),
    inspect,
    store: store ?? new MemoryStore(),
    replyTimeout: positiveInteger('replyTimeout', options.replyTimeout, DEFAULT_REPLY_TIMEOUT),
    sessionTtl: positiveInteger('sessionTtl', options.sessionTtl, 30 * 60_000),
    drainTimeout: delay('drainTimeout', options.drainTimeout, DRAIN_TIMEOUT),
    maxSessions: positiveInteger('maxSessions', options.maxSessions, 10_000),
    liveActors: count('liveActors', options.liveActors, 1000),
    bodyLimit: positiveInteger('bodyLimit', options.bodyLimit, 65_536),
    maxDepth: positiveInteger('maxDepth', options.maxDepth, 64),
    fallback: checkFallback(options.fallback),
    websocket: checkWebSocket(options.websocket),
    outbound: options.outbound === undefined ? undefined : resolveOutboundOptions(options.outbound),
    record: checkRecord(options.record),
    liveView: checkLiveView(options.liveView),
    readiness: checkReadiness(options.readiness)
  }
}
