import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { fastifyAiFlow } from '../lib'
import { RedisStore } from '../lib/redis'
import { demoFlow } from './demo-flow'
import type { DemoTelemetry } from './telemetry'

export interface DemoServerOptions {
  /** When set, the webhook wants it in `X-API-TOKEN`. */
  token?: string
  /** Fastify's logger option. Default: no logs. */
  logger?: FastifyServerOptions['logger']
  /** When set, calls are kept in this Redis, so that several instances can share them. */
  redisUrl?: string
  /** When set, `GET /metrics` serves the plugin's metrics, and requests are traced when it traces. */
  telemetry?: DemoTelemetry
}

/**
 * The demo assistant's server, not yet listening: the webhook is
 * `POST /webhook`, the WebSocket `GET /ws`; the service may use either.
 * Tests build it and use `inject`; `server.ts` listens.
 */
export function buildServer ({ token, logger = false, redisUrl, telemetry }: DemoServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger })
  // Before the plugin: it asks at registration whether an OpenTelemetry SDK is there.
  telemetry?.install(app)
  const store = redisUrl === undefined ? undefined : new RedisStore({ url: redisUrl })
  app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook', websocket: { path: '/ws' }, token, store, readiness: true })
  return app
}
