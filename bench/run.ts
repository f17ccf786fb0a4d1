import { CallMix } from './calls'
import { forkTs, message, stop } from './child'
import type { HeapResult } from './heap'
import { alternating, latencies, throughput, type LoadResult } from './load'
import { configurations, readOptions, type BenchOptions, type Letter } from './options'
import { startRedis, type BenchRedis } from './redis-server'
import { writeReport, type PairedLatency, type RunResult } from './report'
import { percentile } from './stats'
import { latenciesWs, throughputWs } from './ws-load'

/*
 * `npm run bench`: every configuration in its own server process, loaded
 * from this process; configurations alternate within each round, and the
 * report gives medians over rounds and ratios within each round.
 */

interface Load {
  throughput (seconds: number): Promise<LoadResult>
  latencies (): Promise<number[]>
}

function loadFor (letter: Letter, port: number, options: BenchOptions): Load {
  const { calls, turns, connections } = options
  if (configurations[letter].transport === 'ws') {
    return {
      throughput: (seconds) => throughputWs(port, seconds, connections, calls, turns),
      latencies: () => latenciesWs(port, calls, turns, options.latency)
    }
  }
  // One mix for both: the latency run carries on the calls of the load, each at its own point of the call,
  // so that its events come in the proportions of real calls (a fresh mix would begin with 1,000 session_starts).
  const mix = new CallMix({ calls, turns })
  return {
    throughput: (seconds) => throughput(port, mix, seconds, connections),
    latencies: () => latencies(port, mix, options.latency)
  }
}

async function runOne (letter: Letter, round: number, options: BenchOptions, redis: BenchRedis | undefined): Promise<RunResult> {
  const server = forkTs('server.ts', [configurations[letter].name, redis?.url ?? '', options.telemetry])
  try {
    const { port } = await message<{ port: number }>(server, 'ready')
    const load = loadFor(letter, port, options)
    if (options.warmup > 0) await load.throughput(options.warmup)
    const mark = async (): Promise<number> => {
      const reply = message<{ micros: number }>(server, 'cpu')
      server.send({ type: 'mark' })
      return (await reply).micros
    }
    await mark()
    const redisBefore = letter === 'c' ? redis?.cpuMicros() : undefined
    const measured = await load.throughput(options.duration)
    const cpu = await mark()
    const redisAfter = redisBefore === undefined ? undefined : redis?.cpuMicros()
    const times = await load.latencies()
    return {
      letter,
      round,
      eventsPerSecond: measured.events / measured.seconds,
      cpuPerEvent: cpu / measured.events,
      redisCpuPerEvent: redisAfter === undefined || redisBefore === undefined ? undefined : (redisAfter - redisBefore) / measured.events,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      failures: measured.failures
    }
  } finally {
    await stop(server)
  }
}

/**
 * The latency the plugin adds: (a) and (b) served at once, each warmed up,
 * then timed with requests that alternate between the two on one
 * connection each. Timed in runs minutes apart, the two would also differ
 * by whatever the machine was doing then.
 */
async function pairedLatency (round: number, options: BenchOptions): Promise<PairedLatency> {
  const servers = (['a', 'b'] as const).map((letter) => forkTs('server.ts', [configurations[letter].name, '']))
  try {
    const ports = await Promise.all(servers.map(async (server) => (await message<{ port: number }>(server, 'ready')).port))
    const loads = ports.map((port) => ({ port, mix: new CallMix({ calls: options.calls, turns: options.turns }) }))
    for (const { port, mix } of loads) await throughput(port, mix, Math.max(options.warmup, 1), options.connections)
    const [a, b] = await alternating(loads, options.latency)
    return { round, a: percentile(a, 50), b: percentile(b, 50) }
  } finally {
    await Promise.all(servers.map(stop))
  }
}

async function weighHeap (calls: number, liveActors: number, store: string): Promise<HeapResult> {
  const child = forkTs('heap.ts', [String(calls), String(liveActors), store], ['--expose-gc'])
  try {
    return await message<HeapResult>(child, 'heap')
  } finally {
    await stop(child)
  }
}

function line (result: RunResult): string {
  return `  ${result.letter}  ${Math.round(result.eventsPerSecond).toString().padStart(6)} events/s  ` +
    `${result.cpuPerEvent.toFixed(1).padStart(6)} µs CPU/event` +
    (result.redisCpuPerEvent === undefined ? '' : ` (+${result.redisCpuPerEvent.toFixed(1)} µs in redis-server)`) + `  p50 ${result.p50.toFixed(0)} µs  p99 ${result.p99.toFixed(0)} µs` +
    (result.failures > 0 ? `  ${result.failures} FAILED` : '')
}

/** Redis for configuration (c) and the Redis heap runs, when redis-server is installed; (c) is dropped otherwise. */
async function redisFor (options: BenchOptions): Promise<BenchRedis | undefined> {
  if (!options.configs.includes('c') && !options.heapStores.includes('redis')) return undefined
  const redis = await startRedis()
  if (typeof redis !== 'string') return redis
  console.log(`SKIPPED (c) and the Redis heap runs: ${redis}`)
  options.configs = options.configs.filter((c) => c !== 'c')
  options.heapStores = options.heapStores.filter((s) => s !== 'redis')
  options.skipped.push(`(c) Redis: ${redis}`)
  return undefined
}

async function runAll (options: BenchOptions, redis: BenchRedis | undefined): Promise<{ runs: RunResult[], paired: PairedLatency[], heaps: HeapResult[] }> {
  const runs: RunResult[] = []
  const paired: PairedLatency[] = []
  for (let round = 0; round < options.rounds; round++) {
    // Rotated each round, so that no configuration always runs first (or after the same one).
    const order = options.configs.map((_, i) => options.configs[(i + round) % options.configs.length])
    console.log(`round ${round + 1}/${options.rounds}`)
    for (const letter of order) {
      const result = await runOne(letter, round, options, redis)
      console.log(line(result))
      runs.push(result)
    }
    if (options.configs.includes('a') && options.configs.includes('b') && options.latency > 0) {
      const pair = await pairedLatency(round, options)
      console.log(`  a/b alternating, one connection each: p50 ${pair.a.toFixed(0)} / ${pair.b.toFixed(0)} µs, ${(pair.b - pair.a).toFixed(0)} µs added`)
      paired.push(pair)
    }
  }
  const heaps: HeapResult[] = []
  for (const calls of options.heap) {
    for (const store of options.heapStores) {
      // The in-memory store by default (the 1,000 most recent calls keep their actor), with every call's actor, and
      // with none; Redis by default and with none.
      for (const liveActors of store === 'memory' ? [1000, Infinity, 0] : [1000, 0]) {
        const heap = await weighHeap(calls, liveActors, store === 'redis' ? redis?.url ?? '' : store)
        console.log(`heap: ${calls} live calls, ${store} store, liveActors ${liveActors}: ${Math.round(heap.perCall)} B each; ` +
          `${(100 * heap.endGrowth).toFixed(1)} % above the start once all ended`)
        heaps.push(heap)
      }
    }
  }
  return { runs, paired, heaps }
}

async function main (): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env)
  const started = new Date()
  const redis = await redisFor(options)
  console.log(`bench: ${options.configs.join(', ')}; ${options.rounds} rounds of ${options.duration} s (+${options.warmup} s warm-up), ` +
    `${options.connections} connections, ${options.calls} calls at once, ${options.turns} turns per call`)
  try {
    const { runs, paired, heaps } = await runAll(options, redis)
    const report = await writeReport({ options, runs, paired, heaps, started, finished: new Date() })
    console.log(`\n${report}`)
    if (runs.some((run) => run.failures > 0)) {
      console.error('some events were not answered as they should be: the numbers above are not valid')
      process.exitCode = 1
    }
  } finally {
    await redis?.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
