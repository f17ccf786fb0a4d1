import { buildServer } from './app'

// Pretty logs for a person at a terminal; JSON lines for everything else.
const logger = process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : true

const app = buildServer({ logger, token: process.env.AI_FLOW_TOKEN || undefined, redisUrl: process.env.REDIS_URL || undefined })
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'closing the demo server')
    app.close().catch((err) => {
      app.log.error({ err }, 'closing the demo server failed')
      process.exitCode = 1
    })
  })
}

app.listen({ port, host }).catch((err) => {
  app.log.error({ err }, 'the demo server could not start')
  process.exitCode = 1
})
