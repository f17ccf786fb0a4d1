import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { demoFlow } from '../../examples/demo-flow'
import type { Running } from './running'

/** The plugin with the demo flow and the Redis store: every event locks, loads, saves and unlocks in Redis. */
export async function startRedisPlugin (url: string): Promise<Running> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook', store: new RedisStore({ url }) })
  // Connected before the load starts, so that a hundred first events do not all wait for the connection.
  await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'session_end', session: { id: 'bench-connect' } } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() }
}
