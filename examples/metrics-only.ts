import Fastify, { type FastifyServerOptions } from 'fastify'
import { fastifyAiFlow } from '../lib'
import { prometheusMetrics } from '../lib/prometheus'
import { demoFlow } from './demo-flow'

/** The demo assistant with its metrics for Prometheus at `GET /metrics`: nothing else of OpenTelemetry to set up. */
export async function buildMetricsServer (options: FastifyServerOptions = {}) {
  const app = Fastify(options)
  // First: the plugin looks for a meter provider once, when it is registered.
  await app.register(prometheusMetrics)
  await app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook' })
  return app
}
