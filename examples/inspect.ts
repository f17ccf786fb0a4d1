/*
 * Watching calls in Stately's inspector. The plugin hands its `inspect`
 * option to every call's actor, so any inspection observer works; this one
 * is `@statelyai/inspect`'s WebSocket inspector, which sends every event,
 * state and actor of every call to an inspector server.
 *
 *   npx tsx examples/inspect.ts
 *
 * starts that server on ws://localhost:8080 with a page that shows the
 * events in Stately's inspector (the page loads https://stately.ai/inspect,
 * so that part needs the internet), and the IVR example on port 3002.
 * In a browser-only setup, `createBrowserInspector()` opens the inspector
 * in a new window instead.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyAiFlow from '../lib'
import { flow } from './ivr-menu'

/** The IVR example, every call inspected through the inspector server at `inspectorUrl`. */
export async function buildInspectedServer ({ inspectorUrl, logger = true }: { inspectorUrl: string, logger?: boolean }): Promise<FastifyInstance> {
  // The package is an ES module: a dynamic import loads it from CommonJS.
  const { createWebSocketInspector } = await import('@statelyai/inspect')
  const inspector = createWebSocketInspector({ url: inspectorUrl })
  const app = Fastify({ logger })
  await app.register(fastifyAiFlow, { flow, inspect: inspector.inspect })
  app.addHook('onClose', async () => { inspector.stop() })
  return app
}

async function main (): Promise<void> {
  const { createInspectorServer } = await import('@statelyai/inspect/server')
  createInspectorServer({ port: 8080 })
  const app = await buildInspectedServer({ inspectorUrl: 'ws://localhost:8080' })
  await app.listen({ port: 3002 })
}

if (require.main === module) main().catch((err) => { console.error(err); process.exitCode = 1 })
