import type { FastifyInstance } from 'fastify'

/**
 * Closes the server on SIGTERM (what an orchestrator sends before it stops
 * an instance) and SIGINT (Ctrl-C), then exits: 0 once `app.close()` has
 * finished the turns in flight and closed the store, 1 if closing failed.
 * From the first signal on, the readiness check answers 503 and new
 * requests get Fastify's 503; a second signal stops the process at once.
 */
export function closeOnSignals (app: FastifyInstance): void {
  const signals = ['SIGTERM', 'SIGINT'] as const
  for (const signal of signals) {
    process.once(signal, () => {
      // The other signal, or this one again, now ends the process without waiting.
      for (const other of signals) process.removeAllListeners(other)
      app.log.info({ signal }, 'closing')
      app.close().then(() => {
        app.log.info('closed')
      }, (err: unknown) => {
        app.log.error({ err }, 'closing failed')
        process.exitCode = 1
      }).finally(() => {
        // Node exits by itself once nothing is left to do, after the log is written out; a
        // handle something else left open gets a second, then the process exits regardless.
        setTimeout(() => process.exit(), 1000).unref()
      })
    })
  }
}
