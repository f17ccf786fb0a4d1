/*
 * Watching calls in Stately's inspector. The plugin hands its `inspect`
 * option to every call's actor, so any inspection observer works; this one
 * is `@statelyai/inspect`'s WebSocket inspector, which sends every event,
 * state and actor of every call to an inspector server, whose page embeds
 * Stately's inspector from stately.ai: it needs the internet.
 *
 * Offline, use the live view instead: `npx tsx examples/inspect-server.ts`
 * starts the IVR example with it (see docs/live-view.md).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyAiFlow from '../lib'
import { flow } from './ivr-menu'

/** The IVR example, every call inspected through the inspector server at `inspectorUrl`. */
export async function buildInspectedServer ({ inspectorUrl, logger }: { inspectorUrl: string, logger: boolean }): Promise<FastifyInstance> {
  // The package is an ES module: a dynamic import loads it from CommonJS.
  const { createWebSocketInspector } = await import('@statelyai/inspect')
  const inspector = createWebSocketInspector({ url: inspectorUrl })
  const app = Fastify({ logger })
  await app.register(fastifyAiFlow, { flow, inspect: inspector.inspect })
  app.addHook('onClose', async () => { inspector.stop() })
  return app
}
