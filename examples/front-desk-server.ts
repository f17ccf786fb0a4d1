import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { closeOnSignals } from './close-on-signals'
import { frontDeskFlow } from './front-desk'
import { frontDeskModels } from './front-desk-model'

// Acme's line, a front desk that hands over to billing, on PORT (default 3000), over the webhook and the WebSocket.
const app = Fastify({ logger: true })
app.register(fastifyAiFlow, { flow: frontDeskFlow(frontDeskModels()), websocket: true, token: process.env.AI_FLOW_TOKEN || undefined })
closeOnSignals(app)
app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).catch((err) => {
  app.log.error({ err }, 'the line could not start')
  process.exitCode = 1
})
