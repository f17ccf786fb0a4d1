import path from 'node:path'
import Fastify from 'fastify'
import { CallMix, type NextEvent } from './calls'
import { forkTs, message } from './child'
import { registerSdk } from './configs/telemetry'
import { median } from './stats'

/*
 * The CPU one event costs the plugin, measured in process, without a network
 * or a load generator: on a machine too busy for `npm run bench` to tell
 * small differences apart, CPU time per event still can. Each measurement
 * runs in a process of its own (an OpenTelemetry SDK is global), and the
 * variants alternate, so each ratio compares runs made seconds apart.
 *
 *   node dist-bench/bench/cpu-cost.js [rounds] [events] [other-lib]
 *
 * `other-lib`: the compiled `lib/` of another checkout, measured as
 * `(b) other` and, with the same SDK, `(bᵗ) other`.
 */

interface Variant { name: string, lib: string, telemetry: boolean }
interface CostMark { type: 'cost', micros: number }

const IN_FLIGHT = 100

async function measure (lib: string, telemetry: boolean, events: number): Promise<number> {
  if (telemetry) registerSdk()
  const { fastifyAiFlow } = require(lib) as typeof import('../lib')
  const { demoFlow } = require('../examples/demo-flow') as typeof import('../examples/demo-flow')
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: demoFlow, path: '/webhook' })
  const mix = new CallMix({ calls: 1000, turns: 3 })
  const send = async (event: NextEvent): Promise<void> => {
    const res = await app.inject({ method: 'POST', url: '/webhook', payload: event.body, headers: { 'content-type': 'application/json' } })
    mix.answer(event, res.statusCode)
  }
  const run = async (count: number): Promise<void> => {
    let left = count
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await send(mix.next() as NextEvent)
    }))
  }
  await run(events / 2) // warm-up
  const before = process.cpuUsage()
  await run(events)
  const used = process.cpuUsage(before)
  if (mix.failures > 0) throw new Error(`${mix.failures} events failed`)
  await app.close()
  return (used.user + used.system) / events
}

async function child (): Promise<void> {
  const [, , , lib, telemetry, events] = process.argv
  const micros = await measure(lib, telemetry === 'on', Number(events))
  process.send?.({ type: 'cost', micros } satisfies CostMark)
  process.disconnect()
}

async function main (): Promise<void> {
  const [rounds = '5', events = '20000', other] = process.argv.slice(2)
  const own = path.join(__dirname, '..', 'lib')
  const variants: Variant[] = [{ name: '(b)', lib: own, telemetry: false }, { name: '(bᵗ)', lib: own, telemetry: true }]
  if (other !== undefined) {
    variants.unshift({ name: '(b) other', lib: path.resolve(other), telemetry: false }, { name: '(bᵗ) other', lib: path.resolve(other), telemetry: true })
  }
  const costs = new Map<string, number[]>(variants.map((v) => [v.name, []]))
  for (let round = 0; round < Number(rounds); round++) {
    const line: string[] = []
    for (const variant of variants) {
      const child = forkTs('cpu-cost.ts', ['child', variant.lib, variant.telemetry ? 'on' : 'off', events])
      const { micros } = await message<CostMark>(child, 'cost')
      costs.get(variant.name)?.push(micros)
      line.push(`${variant.name} ${micros.toFixed(1)} µs`)
    }
    console.log(`${new Date().toISOString().slice(11, 19)}  ${line.join('  ')}`)
  }
  const base = costs.get('(b)') as number[]
  for (const [name, values] of costs) {
    if (name === '(b)') continue
    // The events one core answers, against (b)'s: (b)'s CPU per event over this variant's, within each round.
    const ratios = values.map((value, round) => base[round] / value)
    console.log(`${name} ÷ (b) in events per CPU second, by round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}`)
  }
}

if (process.argv[2] === 'child') child().catch((err) => { console.error(err); process.exit(1) })
else main().catch((err) => { console.error(err); process.exit(1) })
