import t from 'tap'
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { RedisStore } from '../../lib/redis'
import { sharedRedis } from '../fixtures/redis-server'
import { knownOff } from './fixtures/known-defects'
import { simulate, Violation } from './fixtures/simulate'
import { describeAll, stepsArbitrary, type EventKind, type Step } from './fixtures/steps'

// Real time and a real Redis: each schedule takes a second or two.
t.setTimeout(240_000)

/*
 * The simulation's schedules on the real store: three registries on one
 * Redis, in real time, without the scheduler (Redis and the event loop
 * order what happens) and without store faults. The verdicts must be the
 * simulated store's: schedules that pass there pass here.
 */

let url: string
t.before(async () => { url = await sharedRedis(t) })

async function verdict (steps: readonly Step[], skip: ReadonlySet<string>, on: 'redis' | 'sim' = 'redis'): Promise<string> {
  const prefix = `test:${randomUUID()}:`
  const store = on === 'redis'
    ? { storeFor: () => new RedisStore({ url, prefix, commandTimeout: 1000 }) }
    : { scheduler: fc.sample(fc.scheduler(), { numRuns: 1, seed: 1 })[0] }
  return await simulate({ steps, instances: 3, seed: 0, skip, ...store })
    .then(() => 'pass', (err: unknown) => err instanceof Violation ? err.invariant : String(err))
}

const send = (call: number, event: EventKind, to: number): Step => ({ kind: 'send', call, event, to, overlap: false })

// The schedules that found the defects a real Redis reaches without faults or a chosen order of answers, since fixed.
const FIXED: Record<string, Step[]> = {
  'session_end on another instance ran the work again (work-once)': [send(0, 'user_speak work', 1), send(0, 'session_end', 0)],
  'a call ended on another instance stayed held (ended-not-held)': [send(0, 'session_start', 1), send(0, 'dtmf_received', 0)],
  'close() while work ran crashed (no-uncaught)': [send(1, 'user_speak work', 0), send(1, 'session_start', 0), { kind: 'close', who: 0 }, { kind: 'advance', ms: 10 }]
}

t.test('the schedules of fixed defects pass on a real Redis', async (t) => {
  for (const [name, schedule] of Object.entries(FIXED)) {
    t.equal(await verdict(schedule, knownOff()), 'pass', `${name}:\n${describeAll(schedule)}`)
  }
})

t.test('schedules that pass on the simulated store pass on a real Redis', async (t) => {
  const skip = new Set([...knownOff(), 'fault'])
  const fast = stepsArbitrary({ calls: 2, instances: 3, without: skip, maxSteps: 10 }).filter((steps) => steps.every((step) => step.kind !== 'advance' || step.ms <= 900))
  const schedules = fc.sample(fast, { numRuns: 6, seed: 19 })
  for (const steps of schedules) {
    const simulated = await verdict(steps, skip, 'sim')
    t.equal(simulated, 'pass', `on the simulated store:\n${describeAll(steps)}`)
    t.equal(await verdict(steps, skip), simulated, 'and on Redis')
  }
})
