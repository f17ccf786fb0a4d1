import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, MemoryStore, type SessionStore } from '../lib'
import { RedisStore } from '../lib/redis'
import { demoFlow } from '../examples/demo-flow'

/*
 * Heap per live call, in a process of its own started with --expose-gc:
 * start N calls (one session_start each, so that each call is idle between
 * events, as almost every call is almost all the time), collect, weigh; then
 * end them all, collect, and weigh again.
 */

export interface HeapResult {
  type: 'heap'
  calls: number
  /** The plugin's `liveActors` option. */
  liveActors: number
  store: 'memory' | 'redis'
  /** Bytes of heap per live call. */
  perCall: number
  startBytes: number
  liveBytes: number
  endBytes: number
  /** Heap after every call ended, relative to the start: 0.02 is 2 % more. */
  endGrowth: number
}

declare const gc: () => void

/** The heap in use once callbacks still due (client timers, socket reads) have run and everything is collected. */
async function settled (): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200))
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const run = Date.now().toString(36)

function session (i: number) {
  // Unique per run: a Redis may still hold calls of an earlier one.
  return { id: `call-${run}-${i}`, account_id: 'account-123', phone_number: '4921155660', direction: 'inbound', from_phone_number: '4915790000687', to_phone_number: '4921155660' }
}

async function events (app: FastifyInstance, type: string, from: number, to: number): Promise<void> {
  const batch = 500
  for (let i = from; i < to; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, to - i) }, async (_, j) => {
      const res = await app.inject({ method: 'POST', url: '/webhook', payload: { type, session: session(i + j) } })
      if (res.statusCode >= 300) throw new Error(`${type} got ${res.statusCode}: ${res.body}`)
    }))
  }
}

async function main (): Promise<void> {
  const calls = Number(process.argv[2])
  const liveActors = Number(process.argv[3] ?? Infinity)
  // `memory`, or the URL of a Redis.
  const where = process.argv[4] ?? 'memory'
  const store: SessionStore = where === 'memory' ? new MemoryStore() : new RedisStore({ url: where })
  const app = Fastify()
  const warm = Number(process.env.BENCH_HEAP_WARMUP ?? 5000)
  await app.register(fastifyAiFlow, { flow: demoFlow, store, maxSessions: calls + warm, liveActors })
  await app.ready()
  // Warm up: code paths compiled (optimised code is heap too) and the maps' and
  // clients' first growth done before the start is weighed.
  // One call alone first: a Redis store connects on its first event, and the others need not all wait for that.
  await events(app, 'session_start', 0, 1)
  await events(app, 'session_start', 1, warm)
  await events(app, 'session_end', 0, warm)
  const startBytes = await settled()
  await events(app, 'session_start', warm, warm + calls)
  const liveBytes = await settled()
  if (app.aiFlow.liveCalls !== calls) throw new Error(`${app.aiFlow.liveCalls} calls live, wanted ${calls}`)
  await events(app, 'session_end', warm, warm + calls)
  const endBytes = await settled()
  await app.close()
  const result: HeapResult = {
    type: 'heap',
    calls,
    liveActors,
    store: where === 'memory' ? 'memory' : 'redis',
    perCall: (liveBytes - startBytes) / calls,
    startBytes,
    liveBytes,
    endBytes,
    endGrowth: (endBytes - startBytes) / startBytes
  }
  process.send?.(result)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
