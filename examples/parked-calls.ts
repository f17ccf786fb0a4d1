import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { demoFlow } from './demo-flow'

// Many calls, most of them waiting for the caller: the 1,000 most recently
// active keep their flow's actor in memory, the others only their stored
// record (about a fifth of the memory), restored by their next event.
const app = Fastify({ logger: true })
app.register(fastifyAiFlow, { flow: demoFlow, liveActors: 1000 })

export default app
