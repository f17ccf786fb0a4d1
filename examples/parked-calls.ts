import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { demoFlow } from './demo-flow'

// A small instance with many calls, most of them waiting for the caller:
// the 200 most recently active keep their flow's actor in memory (1,000 by
// default), the others only their record (about a quarter of the memory),
// restored by their next event.
const app = Fastify({ logger: true })
app.register(fastifyAiFlow, { flow: demoFlow, liveActors: 200 })

export default app
