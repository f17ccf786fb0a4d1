import { parseArgs } from 'node:util'

/**
 * The configurations, by the letters the issue gives them, with `p` for the
 * parked variant of `b`, `t` for `b` with telemetry on, and `x` for the floor
 * under `b`: what XState alone costs.
 */
export const configurations = {
  a: { name: 'bare', transport: 'http', label: '(a) bare Fastify route, same body schema, fixed action' },
  b: { name: 'plugin', transport: 'http', label: '(b) plugin, in-memory store, demo flow' },
  p: { name: 'plugin-parked', transport: 'http', label: '(b′) as (b), with `liveActors: 0` (idle calls parked)' },
  t: { name: 'plugin-telemetry', transport: 'http', label: '(bᵗ) as (b), with telemetry on: an OpenTelemetry SDK (batched spans, metrics) exporting nowhere' },
  c: { name: 'redis', transport: 'http', label: '(c) plugin, Redis store, demo flow' },
  d: { name: 'websocket', transport: 'ws', label: '(d) plugin over WebSocket, in-memory store, demo flow' },
  e: { name: 'express', transport: 'http', label: '(e) Express + express.json(), per-event callbacks' },
  x: { name: 'xstate', transport: 'http', label: '(x) reference: (a) plus one bare XState actor per call, demo flow, nothing else' }
} as const

export type Letter = keyof typeof configurations

export interface BenchOptions {
  configs: Letter[]
  rounds: number
  /** Seconds of measured load per run. */
  duration: number
  /** Seconds of load before each measured run. */
  warmup: number
  connections: number
  /** Calls in progress at once. */
  calls: number
  /** Turns per call (user_speak, assistant_speak, assistant_speech_ended). */
  turns: number
  /** Requests timed one by one on one connection per run. */
  latency: number
  /** Live calls to weigh the heap at; empty to skip. */
  heap: number[]
  /** Stores to weigh the heap with: `memory`, `redis`. */
  heapStores: string[]
  /** Configurations left out, and why. */
  skipped: string[]
  /** Where the results go; empty to write nothing. */
  out: string
  /** What (bᵗ) registers of the OpenTelemetry SDK: all of it, its spans or its metrics alone, or all of it with one trace in ten sampled. */
  telemetry: TelemetryParts
}

export const telemetryParts = ['all', 'spans', 'metrics', 'sampled'] as const
export type TelemetryParts = (typeof telemetryParts)[number]

const help = `npm run bench -- [options]     (every option also reads BENCH_<NAME>, e.g. BENCH_ROUNDS=3)

  --configs a,b,p,t,c,d,e,x  configurations: a bare Fastify, b plugin, p plugin with idle calls parked, t plugin with telemetry on,
                        c plugin with Redis (skipped without redis-server), d WebSocket, e Express,
                        x the bare route with one XState actor per call and nothing else
  --rounds 5          rounds; each runs every configuration once, in a rotated order
  --duration 5        seconds of measured load per run
  --warmup 2          seconds of load before each measured run
  --connections 100   keep-alive connections of the load generator
  --calls 1000        calls in progress at once
  --turns 3           turns per call: session_start, N x (user_speak, assistant_speak, assistant_speech_ended), session_end
  --latency 2000      requests timed one by one on one connection, per run
  --heap 10000,100000 live calls to weigh the heap at ("none" to skip)
  --heap-stores memory,redis  stores to weigh it with (in-memory: every actor live, then parked; Redis: parked)
  --out BENCHMARKS.md where the results go ("none" to only print them)
  --telemetry all     what (bᵗ) registers of the OpenTelemetry SDK: all, spans or metrics alone (to tell their costs apart),
                      or sampled: all, with one trace in ten sampled
`

function number (name: string, value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, got ${value}`)
  return n
}

/** Reads the command line, then BENCH_* variables, then the defaults. */
export function readOptions (argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const names = ['configs', 'rounds', 'duration', 'warmup', 'connections', 'calls', 'turns', 'latency', 'heap', 'heap-stores', 'out', 'telemetry'] as const
  const { values } = parseArgs({
    args: argv,
    options: { ...Object.fromEntries(names.map((name) => [name, { type: 'string' }])), help: { type: 'boolean' } } as never
  }) as { values: Partial<Record<(typeof names)[number], string>> & { help?: boolean } }
  if (values.help === true) {
    process.stdout.write(help)
    process.exit(0)
  }
  const get = (name: (typeof names)[number], fallback: string): string =>
    values[name] ?? env[`BENCH_${name.toUpperCase().replace('-', '_')}`] ?? fallback
  const configs = get('configs', Object.keys(configurations).join(',')).split(',').map((c) => c.trim())
  for (const c of configs) if (!(c in configurations)) throw new Error(`--configs: unknown configuration ${c}`)
  const heap = get('heap', '10000,100000')
  const options: BenchOptions = {
    configs: configs as Letter[],
    rounds: number('rounds', get('rounds', '5')),
    duration: number('duration', get('duration', '5')),
    warmup: number('warmup', get('warmup', '2')),
    connections: number('connections', get('connections', '100')),
    calls: number('calls', get('calls', '1000')),
    turns: number('turns', get('turns', '3')),
    latency: number('latency', get('latency', '2000')),
    heap: heap === 'none' ? [] : heap.split(',').map((n) => number('heap', n)),
    heapStores: get('heap-stores', 'memory,redis').split(',').map((s) => s.trim()),
    skipped: [],
    out: get('out', 'BENCHMARKS.md'),
    telemetry: get('telemetry', 'all') as TelemetryParts
  }
  if (!telemetryParts.includes(options.telemetry)) throw new Error(`--telemetry must be one of ${telemetryParts.join(', ')}, got ${options.telemetry}`)
  if (options.out === 'none') options.out = ''
  for (const store of options.heapStores) if (store !== 'memory' && store !== 'redis') throw new Error(`--heap-stores: unknown store ${store}`)
  if (options.calls < options.connections) throw new Error('--calls must be at least --connections: a call has one event in flight at a time')
  return options
}
