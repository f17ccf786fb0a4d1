import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace-node'
import { buildServer } from './app'
import { startTelemetry } from './telemetry'
import { closeOnSignals } from './close-on-signals'

// Pretty logs for a person at a terminal; JSON lines for everything else.
const logger = process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : true
// Metrics at GET /metrics always; spans printed to the console with OTEL_TRACES=console.
const telemetry = startTelemetry({ spans: process.env.OTEL_TRACES === 'console' ? new ConsoleSpanExporter() : undefined })

const app = buildServer({ logger, token: process.env.AI_FLOW_TOKEN || undefined, redisUrl: process.env.REDIS_URL || undefined, telemetry })
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
app.addHook('onClose', async () => await telemetry.shutdown())

closeOnSignals(app)

app.listen({ port, host }).catch((err) => {
  app.log.error({ err }, 'the demo server could not start')
  process.exitCode = 1
})
