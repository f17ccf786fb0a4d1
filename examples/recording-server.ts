import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { closeOnSignals } from './close-on-signals'
import { flow } from './callback-flow'

const app = Fastify({ logger: true })
app.register(fastifyAiFlow, {
  flow,
  record: { dir: process.env.RECORDINGS ?? 'recordings' } // one .jsonl file per call
})
closeOnSignals(app)

app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }).catch((err) => {
  app.log.error({ err }, 'the server could not start')
  process.exitCode = 1
})
