import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { flow } from './ivr-menu'

export function buildServer (liveViewToken: string) {
  const app = Fastify({ logger: true })
  app.register(fastifyAiFlow, { flow, liveView: { path: '/live', token: liveViewToken } })
  return app
}

if (require.main === module) {
  const token = process.env.LIVE_VIEW_TOKEN
  if (token === undefined) throw new Error('Set LIVE_VIEW_TOKEN to a long random string.')
  buildServer(token).listen({ port: 3001 }).catch((err) => { console.error(err); process.exit(1) })
}
