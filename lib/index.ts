import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import { resolveOptions, type FastifyAiFlowOptions, type ResolvedOptions } from './options'
import { SessionRegistry, type CallView } from './sessions'
import { httpTransport } from './transport/http'
import { liveViewRoutes } from './live-view/routes'
import { websocketTransport } from './transport/websocket'
import { knownEventTypes, UnknownEventTypes } from './transport/unknown-types'
import { placeCall, type OutboundCallResult } from './outbound'
import type { OutboundCallRequest } from './protocol'
import { OutboundNotConfiguredError } from './errors'
import { Recorder } from './recording'
import { socketErrorHandler } from './transport/socket-errors'
import { CallTelemetry } from './telemetry'
import { functionToolNames } from './telemetry/tool-kinds'
import { checkReadiness, readinessRoute, type Readiness } from './transport/readiness'

/** What the plugin adds to the Fastify instance as `fastify.aiFlow`. */
export interface AiFlowDecorator {
  /** Calls held by this instance. */
  readonly liveCalls: number
  /** A read-only copy of one call's state, or undefined for an unknown call. */
  getCall (sessionId: string): Promise<CallView | undefined>
  /**
   * Asks the service to call someone, with the `outbound` option's token.
   * The call's events arrive like any other's, with `session.direction` `"outbound"`.
   */
  call (request: OutboundCallRequest): Promise<OutboundCallResult>
  /**
   * Whether this instance can serve calls: not closing, and its store
   * answers within the `readiness` option's timeout (500 ms without it).
   * What the `readiness` route answers, for a health check of one's own.
   */
  readiness (): Promise<Readiness>
}

declare module 'fastify' {
  interface FastifyInstance {
    aiFlow: AiFlowDecorator
  }
}

async function aiFlow (fastify: FastifyInstance, opts: FastifyAiFlowOptions): Promise<void> {
  const options = resolveOptions(opts)
  const recorder = options.record === undefined ? undefined : await Recorder.open(options.record, fastify.log, { replyTimeout: options.replyTimeout, flowVersion: options.flowVersion })
  // Asks once, now, whether the application registered an OpenTelemetry SDK.
  const telemetry = new CallTelemetry({ flowVersion: options.flowVersion, log: fastify.log, tools: functionToolNames([options.flow, ...Object.values(options.flows)]) })
  const registry = new SessionRegistry({ ...options, log: fastify.log, observe: recorder?.observe, modelCalls: recorder?.modelCalls, telemetry })
  const unknownTypes = new UnknownEventTypes(knownEventTypes([options.flow, ...Object.values(options.flows)]))

  await fastify.register(httpTransport, {
    prefix: opts.prefix,
    path: options.path,
    token: options.token,
    bodyLimit: options.bodyLimit,
    maxDepth: options.maxDepth,
    registry,
    unknownTypes
  })
  if (options.websocket !== undefined) await serveWebSocket(fastify, { ...options, prefix: opts.prefix }, registry, unknownTypes)

  if (options.liveView !== undefined) {
    // With a shared store, the calls of every instance: each instance with a live view shares those it serves.
    const board = options.store.liveBoard?.()
    await fastify.register(liveViewRoutes, { prefix: opts.prefix, ...options.liveView, registry, flow: options.flow, board, ttl: options.sessionTtl })
  }

  // Set before Fastify stops accepting connections, so that balancers stop sending calls here first.
  let closing = false
  fastify.addHook('preClose', async () => { closing = true })
  const probe = { store: options.store, timeout: options.readiness?.timeout ?? 500, closing: () => closing }
  if (options.readiness !== undefined) {
    await fastify.register(readinessRoute, { prefix: opts.prefix, path: options.readiness.path, ...probe })
  }

  const { outbound } = options
  fastify.decorate('aiFlow', {
    get liveCalls () { return registry.size },
    getCall: (sessionId: string) => registry.get(sessionId),
    call: async (request: OutboundCallRequest) => {
      if (outbound === undefined) throw new OutboundNotConfiguredError()
      return await placeCall(request, outbound)
    },
    readiness: async () => await checkReadiness(probe, fastify.log)
  })

  fastify.addHook('onClose', async () => {
    // Nothing else holds the calls of an in-memory store: say how many go with this instance.
    if (options.store.inProcess === true) logDropped(fastify, registry.size)
    await registry.close()
    telemetry.close()
    await recorder?.close()
  })
}

function logDropped (fastify: FastifyInstance, liveCalls: number): void {
  if (liveCalls === 0) fastify.log.info({ liveCalls }, 'closing: no live call to drop')
  else fastify.log.warn({ liveCalls }, `closing: ${liveCalls} live call${liveCalls === 1 ? '' : 's'} dropped, the in-memory store keeps nothing`)
}

const WRONG_CONTEXT = 'fastify-ai-flow is registered in a prefixed context: use its prefix option instead, or register @fastify/websocket at the root first'

async function serveWebSocket (fastify: FastifyInstance, options: ResolvedOptions, registry: SessionRegistry, unknownTypes: UnknownEventTypes): Promise<void> {
  const websocket = options.websocket as NonNullable<ResolvedOptions['websocket']>
  // An application that uses WebSockets itself registers @fastify/websocket first; its settings then apply.
  if (!fastify.hasPlugin('@fastify/websocket')) {
    // Its clean-up hook covers only the context it is registered in: an upgrade request to any other path would keep its socket.
    if (fastify.prefix !== '') fastify.log.warn({ prefix: fastify.prefix }, WRONG_CONTEXT)
    await fastify.register(fastifyWebsocket, { options: { maxPayload: websocket.maxPayload }, errorHandler: socketErrorHandler(websocket.maxPayload) })
  }
  await fastify.register(websocketTransport, { ...websocket, prefix: options.prefix, token: options.token, maxDepth: options.maxDepth, registry, unknownTypes })
}

/**
 * Serves AI Flow calls with an XState flow: registers `POST <path>` for the
 * service's webhook and, with `websocket`, `GET <websocket.path>` for its
 * WebSocket; one actor per call, whichever transport carries its events.
 *
 * @example
 * app.register(fastifyAiFlow, { flow, path: '/webhook', token: process.env.AI_FLOW_TOKEN })
 */
export const fastifyAiFlow = fp(aiFlow, { name: 'fastify-ai-flow', fastify: '5.x' })
export default fastifyAiFlow

export type { FastifyAiFlowOptions, LiveViewOptions, ReadinessOptions } from './options'
export type { Readiness } from './transport/readiness'
export { defaultFallback } from './options'
export * from './protocol'
export * from './flow'
export * from './agent'
export { MemoryStore, type SessionStore, type SessionRecord, type LockedRecord, type LockOptions, type LockChange, type WorkLeases, type LiveBoard, type LiveChange } from './stores'
export type { CallView } from './sessions'
export * from './errors'
export { placeCall, type OutboundOptions, type OutboundCallResult, type ServiceError } from './outbound'
export type { WebSocketOptions } from './options'
export { parseRecording, type RecordOptions, type RecordedCall, type RecordedTurn } from './recording'
export { toMermaid } from './tools/mermaid'
