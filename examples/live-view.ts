import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { closeOnSignals } from './close-on-signals'
import { flow } from './ivr-menu'

const token = process.env.LIVE_VIEW_TOKEN
if (token === undefined) throw new Error('Set LIVE_VIEW_TOKEN to a long random string.')

const app = Fastify({ logger: true })
app.register(fastifyAiFlow, { flow, liveView: { path: '/live', token } })
closeOnSignals(app)

app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' }).catch((err) => {
  app.log.error({ err }, 'the server could not start')
  process.exitCode = 1
})
