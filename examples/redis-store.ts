import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { RedisStore } from '../lib/redis'
import { helloFlow } from './hello-flow'

// Run as many of these as you like behind one load balancer: they share the calls.
const app = Fastify({ logger: true })
app.register(fastifyAiFlow, {
  flow: helloFlow,
  store: new RedisStore({ url: process.env.REDIS_URL, prefix: 'hello:' })
})

export default app
