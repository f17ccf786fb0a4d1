import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { fastifyAiFlow } from '../lib'
import { demoFlow } from './demo-flow'

export interface DemoServerOptions {
  /** When set, the webhook wants it in `X-API-TOKEN`. */
  token?: string
  /** Fastify's logger option. Default: no logs. */
  logger?: FastifyServerOptions['logger']
}

/**
 * The demo assistant's server, not yet listening: the webhook is
 * `POST /webhook`, the WebSocket `GET /ws`; the service may use either.
 * Tests build it and use `inject`; `server.ts` listens.
 */
export function buildServer ({ token, logger = false }: DemoServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger })
  app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook', websocket: { path: '/ws' }, token })
  return app
}
