import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { demoFlow } from '../../examples/demo-flow'
import type { Running } from './running'

/** The plugin with the demo flow and the in-memory store, serving the WebSocket at `/ws`. */
export async function startWebSocketPlugin (): Promise<Running> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook', websocket: { path: '/ws' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() }
}
