import { CallMix } from './calls'
import { forkTs, message, stop } from './child'
import type { HeapResult } from './heap'
import { latencies, throughput } from './load'
import { configurations, readOptions, type BenchOptions, type Letter } from './options'
import { writeReport, type RunResult } from './report'
import { percentile } from './stats'

/*
 * `npm run bench`: every configuration in its own server process, loaded
 * from this process; configurations alternate within each round, and the
 * report gives medians over rounds and ratios within each round.
 */

async function runOne (letter: Letter, round: number, options: BenchOptions): Promise<RunResult> {
  const server = forkTs('server.ts', [configurations[letter].name])
  try {
    const { port } = await message<{ port: number }>(server, 'ready')
    const mix = new CallMix({ calls: options.calls, turns: options.turns })
    if (options.warmup > 0) await throughput(port, mix, options.warmup, options.connections)
    const mark = async () => {
      const reply = message<{ micros: number }>(server, 'cpu')
      server.send({ type: 'mark' })
      return (await reply).micros
    }
    await mark()
    const load = await throughput(port, mix, options.duration, options.connections)
    const cpu = await mark()
    const times = await latencies(port, new CallMix({ calls: options.calls, turns: options.turns }), options.latency)
    return {
      letter,
      round,
      eventsPerSecond: load.events / load.seconds,
      cpuPerEvent: cpu / load.events,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      failures: load.failures + mix.failures
    }
  } finally {
    await stop(server)
  }
}

async function weighHeap (calls: number, liveActors: number): Promise<HeapResult> {
  const child = forkTs('heap.ts', [String(calls), String(liveActors)], ['--expose-gc'])
  try {
    return await message<HeapResult>(child, 'heap')
  } finally {
    await stop(child)
  }
}

function line (result: RunResult): string {
  return `  ${result.letter}  ${Math.round(result.eventsPerSecond).toString().padStart(6)} events/s  ` +
    `${result.cpuPerEvent.toFixed(1).padStart(6)} µs CPU/event  p50 ${result.p50.toFixed(0)} µs  p99 ${result.p99.toFixed(0)} µs` +
    (result.failures > 0 ? `  ${result.failures} FAILED` : '')
}

async function main (): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env)
  const started = new Date()
  console.log(`bench: ${options.configs.join(', ')}; ${options.rounds} rounds of ${options.duration} s (+${options.warmup} s warm-up), ` +
    `${options.connections} connections, ${options.calls} calls at once, ${options.turns} turns per call`)
  const runs: RunResult[] = []
  for (let round = 0; round < options.rounds; round++) {
    // Rotated each round, so that no configuration always runs first (or after the same one).
    const order = options.configs.map((_, i) => options.configs[(i + round) % options.configs.length])
    console.log(`round ${round + 1}/${options.rounds}`)
    for (const letter of order) {
      const result = await runOne(letter, round, options)
      console.log(line(result))
      runs.push(result)
    }
  }
  const heaps: HeapResult[] = []
  for (const calls of options.heap) {
    // As the plugin runs by default (every call keeps its actor), and with idle calls parked.
    for (const liveActors of [Infinity, 0]) {
      const heap = await weighHeap(calls, liveActors)
      console.log(`heap: ${calls} live calls, liveActors ${liveActors}: ${Math.round(heap.perCall)} B each; ` +
        `${(100 * heap.endGrowth).toFixed(1)} % above the start once all ended`)
      heaps.push(heap)
    }
  }
  const report = await writeReport({ options, runs, heaps, started, finished: new Date() })
  console.log(`\n${report}`)
  if (runs.some((run) => run.failures > 0)) {
    console.error('some events were not answered with 200 or 204: the numbers above are not valid')
    process.exitCode = 1
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
