import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { resolveOptions, type FastifyAiFlowOptions } from './options'
import { SessionRegistry, type CallView } from './sessions'
import { httpTransport } from './transport/http'
import { liveViewRoutes } from './live-view/routes'
import { Recorder } from './recording'

/** What the plugin adds to the Fastify instance as `fastify.aiFlow`. */
export interface AiFlowDecorator {
  /** Calls held by this instance. */
  readonly liveCalls: number
  /** A read-only copy of one call's state, or undefined for an unknown call. */
  getCall (sessionId: string): Promise<CallView | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    aiFlow: AiFlowDecorator
  }
}

async function aiFlow (fastify: FastifyInstance, opts: FastifyAiFlowOptions): Promise<void> {
  const options = resolveOptions(opts)
  const recorder = options.record === undefined ? undefined : await Recorder.open(options.record, fastify.log)
  const registry = new SessionRegistry({ ...options, log: fastify.log, observe: recorder?.observe })

  await fastify.register(httpTransport, {
    prefix: opts.prefix,
    path: options.path,
    token: options.token,
    bodyLimit: options.bodyLimit,
    registry
  })

  if (options.liveView !== undefined) {
    await fastify.register(liveViewRoutes, { prefix: opts.prefix, ...options.liveView, registry, flow: options.flow })
  }

  fastify.decorate('aiFlow', {
    get liveCalls () { return registry.size },
    getCall: (sessionId: string) => registry.get(sessionId)
  })

  fastify.addHook('onClose', async () => {
    await registry.close()
    await recorder?.close()
  })
}

/**
 * Serves AI Flow calls with an XState flow: registers `POST <path>` for the
 * service's webhook, one actor per call.
 *
 * @example
 * app.register(fastifyAiFlow, { flow, path: '/webhook', token: process.env.AI_FLOW_TOKEN })
 */
export const fastifyAiFlow = fp(aiFlow, { name: 'fastify-ai-flow', fastify: '5.x' })
export default fastifyAiFlow

export type { FastifyAiFlowOptions, LiveViewOptions } from './options'
export { defaultFallback } from './options'
export * from './protocol'
export * from './flow'
export { MemoryStore, type SessionStore, type SessionRecord, type CallView } from './sessions'
export * from './errors'
export { parseRecording, type RecordOptions, type RecordedCall, type RecordedTurn } from './recording'
