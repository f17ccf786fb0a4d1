import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { RedisStore } from '../lib/redis'
import { helloFlow } from './hello-flow'

// Run as many of these as you like behind one load balancer: they share the calls.
const app = Fastify({ logger: true })
app.register(fastifyAiFlow, {
  flow: helloFlow,
  store: new RedisStore({ url: process.env.REDIS_URL, prefix: 'hello:' }),
  readiness: true // GET /ready for the balancer: 503 while closing or while Redis does not answer
})

export default app
