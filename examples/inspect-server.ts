/*
 * Starts @statelyai/inspect's inspector server on ws://localhost:8080, with a
 * page on http://localhost:8080 that shows what it receives in Stately's
 * inspector (the page loads https://stately.ai/inspect, so that part needs
 * the internet), and the IVR example on port 3002, every call inspected.
 *
 *   npx tsx examples/inspect-server.ts
 */
import { buildInspectedServer } from './inspect'

async function main (): Promise<void> {
  const { createInspectorServer } = await import('@statelyai/inspect/server')
  createInspectorServer({ port: 8080 })
  const app = await buildInspectedServer({ inspectorUrl: 'ws://localhost:8080', logger: true })
  await app.listen({ port: 3002, host: '127.0.0.1' })
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
