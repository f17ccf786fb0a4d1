/*
 * An inspector that works offline: the IVR example on port 3002 with the
 * live view on, under a token made for this run. Open the address it prints
 * to see each call on the flow's diagram, with what the caller said, what
 * the flow answered, its pending timers and its context. Nothing is loaded
 * from elsewhere: Mermaid comes from the installed package.
 *
 *   npx tsx examples/inspect-server.ts
 *
 * (Stately's own inspector, `examples/inspect.ts`, embeds a page from
 * stately.ai, and so needs the internet.)
 */
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../lib'
import { closeOnSignals } from './close-on-signals'
import { flow } from './ivr-menu'

const token = process.env.LIVE_VIEW_TOKEN ?? randomBytes(24).toString('base64url')

async function main (): Promise<void> {
  const app = Fastify({ logger: { level: 'warn' } })
  await app.register(fastifyAiFlow, { flow, liveView: { path: '/inspect', token } })
  closeOnSignals(app)
  const url = await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' })
  console.log(`Inspector: open ${url}/inspect#token=${token}`)
  console.log(`Calls: npx fastify-ai-flow simulate ${url}/webhook`)
}

main().catch((err) => { console.error(err); process.exitCode = 1 })
