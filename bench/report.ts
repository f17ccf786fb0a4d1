import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sourceDir } from './child'
import type { HeapResult } from './heap'
import { configurations, type BenchOptions, type Letter, type TelemetryParts } from './options'
import { median } from './stats'

export interface RunResult {
  letter: Letter
  round: number
  eventsPerSecond: number
  /** Server CPU (user + system) per event, µs. */
  cpuPerEvent: number
  /** redis-server's CPU per event, µs, for the Redis configuration. */
  redisCpuPerEvent?: number
  /** Latency at one connection, µs. */
  p50: number
  p99: number
  failures: number
}

/** p50 at one connection of (a) and (b), timed alternately in one round, µs. */
export interface PairedLatency {
  round: number
  a: number
  b: number
}

export interface Report {
  options: BenchOptions
  runs: RunResult[]
  paired: PairedLatency[]
  heaps: HeapResult[]
  started: Date
  finished: Date
}

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

/** `b / a` within each round, then the median over rounds. */
function ratio (runs: RunResult[], of: Letter, to: Letter, pick: (r: RunResult) => number, combine = (x: number, y: number) => x / y): number {
  const rounds = new Set(runs.map((r) => r.round))
  const values: number[] = []
  for (const round of rounds) {
    const x = runs.find((r) => r.round === round && r.letter === of)
    const y = runs.find((r) => r.round === round && r.letter === to)
    if (x !== undefined && y !== undefined) values.push(combine(pick(x), pick(y)))
  }
  return median(values)
}

const fixed = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : '–'
const thousands = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'

/** What redis-server spent besides, when it was measured. */
function redisCpu (runs: RunResult[]): string {
  const values = runs.flatMap((r) => r.redisCpuPerEvent === undefined ? [] : [r.redisCpuPerEvent])
  return values.length === 0 ? '' : ` (+ ${fixed(median(values), 1)} in redis-server)`
}

/** (bᵗ)'s label, by what it registers of the SDK (`--telemetry`). */
const telemetryLabels: Record<TelemetryParts, string> = {
  all: configurations.t.label,
  spans: '(bᵗ) as (b), with the OpenTelemetry SDK\'s tracer provider alone (spans)',
  metrics: '(bᵗ) as (b), with the OpenTelemetry SDK\'s meter provider alone (metrics)',
  sampled: '(bᵗ) as (b), with one trace in ten sampled'
}

function summaryTable ({ runs, options }: Report): string {
  const rows = options.configs.map((letter) => {
    const own = runs.filter((r) => r.letter === letter)
    const cells = [
      letter === 't' ? telemetryLabels[options.telemetry] : configurations[letter].label,
      thousands(median(own.map((r) => r.eventsPerSecond))),
      letter === 'a' ? '1.00' : fixed(ratio(runs, letter, 'a', (r) => r.eventsPerSecond), 2),
      fixed(median(own.map((r) => r.cpuPerEvent)), 1) + redisCpu(own),
      fixed(median(own.map((r) => r.p50))),
      fixed(median(own.map((r) => r.p99))),
      String(own.reduce((sum, r) => sum + r.failures, 0))
    ]
    return `| ${cells.join(' | ')} |`
  })
  return [
    '| configuration | events/s | × (a) | server CPU µs/event | p50 µs (1 conn.) | p99 µs (1 conn.) | failed |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows
  ].join('\n')
}

interface Target { text: string, value: number, shown: string, met: boolean }

function targets ({ runs, paired, heaps, options }: Report): Target[] {
  const has = (l: Letter) => options.configs.includes(l)
  const list: Target[] = []
  if (has('a') && has('b')) {
    const r = ratio(runs, 'b', 'a', (x) => x.eventsPerSecond)
    list.push({ text: '(b) ≥ 0.75 × (a) in throughput', value: r, shown: `${fixed(r, 2)} ×`, met: r >= 0.75 })
    const added = median(paired.map((p) => p.b - p.a))
    list.push({
      text: 'p50 latency added by the plugin at one connection ≤ 50 µs (requests alternating between (a) and (b))',
      value: added,
      shown: `${fixed(added)} µs`,
      met: added <= 50
    })
  }
  if (has('b') && has('t')) {
    const r = ratio(runs, 't', 'b', (x) => x.eventsPerSecond)
    list.push({ text: '(bᵗ) ≥ 0.9 × (b) in throughput: telemetry on', value: r, shown: `${fixed(r, 2)} ×`, met: r >= 0.9 })
  }
  if (has('b') && has('c')) {
    const r = ratio(runs, 'c', 'b', (x) => x.eventsPerSecond)
    list.push({ text: '(c) ≥ 0.5 × (b) in throughput', value: r, shown: `${fixed(r, 2)} ×`, met: r >= 0.5 })
  }
  if (has('b') && has('e')) {
    const r = ratio(runs, 'b', 'e', (x) => x.eventsPerSecond)
    list.push({ text: '(b) ≥ 4 × (e) in throughput', value: r, shown: `${fixed(r, 2)} ×`, met: r >= 4 })
  }
  for (const heap of heaps) {
    // The target is for the plugin as it runs by default; the other settings are in the heap table.
    if (heap.liveActors === 1000) {
      list.push({
        text: `≤ 2 KB of heap per idle live call (${thousands(heap.calls)} calls, ${heap.store} store, ${actorsText(heap.liveActors)})`,
        value: heap.perCall,
        shown: `${thousands(heap.perCall)} B`,
        met: heap.perCall <= 2048
      })
    }
    list.push({
      text: `heap back within 5 % of its start once all ${thousands(heap.calls)} calls ended (${heap.store} store, ${actorsText(heap.liveActors)})`,
      value: heap.endGrowth,
      shown: `${fixed(100 * heap.endGrowth, 1)} %`,
      met: heap.endGrowth <= 0.05
    })
  }
  return list
}

function actorsText (liveActors: number): string {
  if (liveActors === 1000) return 'default: the 1,000 most recent calls keep their actor'
  return liveActors === Infinity ? '`liveActors: Infinity`: every call keeps its actor' : `\`liveActors: ${liveActors}\``
}

function machine (): string {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${os.type()} ${os.release()}; Node ${process.version}`
}

function command (): string {
  const env = Object.entries(process.env).filter(([key]) => key.startsWith('BENCH_')).map(([k, v]) => `${k}=${v} `).join('')
  const args = process.argv.slice(2)
  return `${env}npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`
}

function heapTable (heaps: HeapResult[]): string[] {
  if (heaps.length === 0) return []
  const rows = heaps.map((h) => `| ${thousands(h.calls)} | ${h.store} | ${actorsText(h.liveActors)} | ${thousands(h.perCall)} | ` +
    `${fixed(h.startBytes / 1e6, 1)} | ${fixed(h.liveBytes / 1e6, 1)} | ${fixed(h.endBytes / 1e6, 1)} | ${fixed(100 * h.endGrowth, 1)} % |`)
  return ['Heap of the server process (demo flow; calls started with `session_start` and left idle; `gc()` before each reading):', '',
    '| live calls | store | actors | B per call | MB at start | MB live | MB after all ended | after vs start |',
    '|---:|---|---|---:|---:|---:|---:|---:|', ...rows, '']
}

/** How the two ways of timing the plugin's added latency compare. */
function latencyNote ({ runs, paired, options }: Report): string[] {
  if (paired.length === 0) return []
  const apart = ratio(runs, 'b', 'a', (x) => x.p50, (x, y) => x - y)
  return [`Latency added by the plugin: ${fixed(median(paired.map((p) => p.b - p.a)))} µs at p50 from ${options.latency} requests ` +
    'to each of (a) and (b), alternating, in fresh servers warmed up as for the runs; ' +
    `${fixed(apart)} µs from the p50 columns above, whose (a) and (b) were timed on their own, minutes apart.`, '']
}

function everyRun ({ runs, paired }: Report): string[] {
  return ['<details><summary>Every run</summary>', '',
    '| round | config | events/s | CPU µs/event | p50 µs | p99 µs |',
    '|---:|:---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.round + 1} | ${r.letter} | ${thousands(r.eventsPerSecond)} | ${fixed(r.cpuPerEvent, 1)} | ${fixed(r.p50)} | ${fixed(r.p99)} |`),
    ...(paired.length === 0
      ? []
      : ['', '| round | p50 µs (a), alternating | p50 µs (b), alternating | added |', '|---:|---:|---:|---:|',
          ...paired.map((p) => `| ${p.round + 1} | ${fixed(p.a)} | ${fixed(p.b)} | ${fixed(p.b - p.a)} |`)]),
    '', '</details>']
}

/** The generated part of BENCHMARKS.md. */
export function render (report: Report): string {
  const { options, heaps, started, finished } = report
  return [
    `Run ${started.toISOString()} – ${finished.toISOString()}, on ${machine()}.`,
    `Load average (1 min) at the start: ${os.loadavg()[0].toFixed(2)}.`,
    '',
    'Command:',
    '',
    '```sh',
    command(),
    '```',
    '',
    `Load: ${options.connections} keep-alive connections, ${options.calls} calls in progress at once, each call ` +
    `\`session_start\`, ${options.turns} × (\`user_speak\`, \`assistant_speak\`, \`assistant_speech_ended\`), \`session_end\`; ` +
    `${options.rounds} rounds of ${options.duration} s each after ${options.warmup} s of warm-up; latency from ${options.latency} ` +
    'requests sent one at a time on one connection, timed per response (over WebSocket: the events the demo answers, ' +
    '`session_start` and `user_speak`, from frame out to reply frame in). Medians over rounds; ratios taken within each round.',
    '',
    summaryTable(report),
    '',
    ...options.skipped.map((why) => `Skipped: ${why}.`),
    ...(options.skipped.length > 0 ? [''] : []),
    '| target | measured | met |',
    '|---|---:|:---:|',
    ...targets(report).map((t) => `| ${t.text} | ${t.shown} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    ...latencyNote(report),
    ...heapTable(heaps),
    ...everyRun(report)
  ].join('\n')
}

/** Prints nothing; writes the results into BENCHMARKS.md (between its markers) and a JSON file. */
export async function writeReport (report: Report): Promise<string> {
  const text = render(report)
  if (report.options.out === '') return text
  const file = path.resolve(report.options.out)
  const previous = await readFile(file, 'utf8').catch(() => '')
  const block = `${START}\n${text}\n${END}`
  const next = previous.includes(START) && previous.includes(END)
    ? previous.slice(0, previous.indexOf(START)) + block + previous.slice(previous.indexOf(END) + END.length)
    : `# Benchmarks\n\n${block}\n`
  await writeFile(file, next)
  const results = path.join(sourceDir, 'results')
  await mkdir(results, { recursive: true })
  await writeFile(path.join(results, `${report.started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2))
  return text
}
