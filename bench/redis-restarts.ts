import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../lib'
import { RedisStore } from '../lib/redis'
import { chatFlow, Gates } from '../test/fixtures/chat-flow'
import { RedisServer } from '../test/fixtures/redis-server'
import { eventsThroughRestarts, type RestartCounts } from '../test/fixtures/redis-restarts'

/*
 * `npx tsx bench/redis-restarts.ts [--runs N] [--calls C] [--events E] [--restarts R] [--down MS]`:
 * two instances on one Redis, which is stopped and started again under load;
 * counts the events answered 503 that are in their call's state all the same.
 */

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    calls: { type: 'string', default: '40' },
    events: { type: 'string', default: '100' },
    restarts: { type: 'string', default: '4' },
    down: { type: 'string', default: '300' }
  }
})

/** Lost answers whose save could not be told done or not in time (each said at warn). */
let unknown = 0

async function instance (url: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { if (line.includes('cannot be known')) unknown++ } } } })
  await app.register(fastifyAiFlow, { flow: chatFlow(new Gates()), store: new RedisStore({ url, prefix: 'restarts:', commandTimeout: 300 }), replyTimeout: 3000 })
  await app.ready()
  return app
}

async function main (): Promise<void> {
  const total: RestartCounts = { sent: 0, refused: 0, appliedYetRefused: 0, otherStatuses: [], broken: [] }
  for (let run = 1; run <= Number(values.runs); run++) {
    const server = await RedisServer.start()
    const apps = [await instance(server.url), await instance(server.url)]
    const counts = await eventsThroughRestarts(apps, server, {
      calls: Number(values.calls), events: Number(values.events), restarts: Number(values.restarts), downFor: Number(values.down)
    })
    await Promise.all(apps.map((app) => app.close()))
    await server.destroy()
    console.log(`run ${run}: ${counts.sent} events, ${counts.refused} answered 503, ${counts.appliedYetRefused} of them applied; other statuses [${counts.otherStatuses.join(',')}]; broken ${counts.broken.length}`)
    for (const key of ['sent', 'refused', 'appliedYetRefused'] as const) total[key] += counts[key]
    total.otherStatuses.push(...counts.otherStatuses)
    total.broken.push(...counts.broken)
  }
  console.log(`total: ${total.sent} events, ${total.refused} answered 503, ${total.appliedYetRefused} answered 503 yet applied, ${unknown} lost answers not told in time; other statuses ${total.otherStatuses.length}; broken ${total.broken.length}`)
  for (const line of total.broken) console.log(`  ${line}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
