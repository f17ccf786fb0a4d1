import t from 'tap'
import { randomInt } from 'node:crypto'
import fc from 'fast-check'
import { explore } from './fixtures/explore'
import { KNOWN_DEFECTS, knownOff, send } from './fixtures/known-defects'
import { simulate, Violation } from './fixtures/simulate'
import { describeAll, type Step } from './fixtures/steps'

// A few hundred simulated runs, each a world of three instances: well past tap's default of 30 s on a busy machine.
t.setTimeout(300_000)

/** Seeds every run explores, so that what passed once keeps passing; one more is drawn afresh each time. */
const SEEDS = [42, 7, 20261207]
const RUNS = 40

t.test('the known defects are still there: each one\'s shrunk schedule still breaks its invariant', async (t) => {
  for (const [name, defect] of Object.entries(KNOWN_DEFECTS)) {
    const others = knownOff(Object.fromEntries(Object.entries(KNOWN_DEFECTS).filter(([other]) => other !== name)))
    for (const off of defect.off) others.delete(off)
    const broken: string[] = []
    if (defect.replay !== undefined) {
      const { seed, path, without } = defect.replay
      broken.push((await explore({ runs: 1, seed, path, skip: others, without: new Set(without) })).invariant ?? 'pass')
    }
    // The schedule fixes the steps; the store's answers may come in any order: one of ten orders is enough.
    for (let order = 1; order <= 10 && !broken.includes(defect.breaks); order++) {
      const scheduler = fc.sample(fc.scheduler(), { numRuns: 1, seed: order })[0]
      const err = await simulate({ steps: defect.schedule, instances: 3, scheduler, seed: 0, skip: others }).then(() => undefined, (err: unknown) => err)
      broken.push(err instanceof Violation ? err.invariant : String(err))
    }
    if (broken.includes(defect.breaks)) t.pass(`${name}: still found (${defect.breaks})`)
    else t.fail(`${name} (issue 19, defect ${defect.issue}) is no longer found by\n${describeAll(defect.schedule)}\n(runs ended with ${broken.join(', ')}). Once fixed, delete it from KNOWN_DEFECTS (test/sim/fixtures/known-defects.ts)`)
  }
})

const skip = knownOff()

t.test('a planted bug is caught and shrunk: a store lock that two turns can hold at once', async (t) => {
  const result = await explore({ runs: 200, seed: 42, skip, plant: 'shared-lock', maxSteps: 12 })
  t.notOk(result.ok, 'the simulation fails')
  t.ok((result.counterexample?.length ?? Infinity) <= 6, `to a schedule of a few steps:\n${describeAll(result.counterexample ?? [])}`)
  t.match(result.report, /^Replay: npm run sim -- --seed 42 --path "[\d:]+"$/m, 'with its seed and path')
  t.comment(result.report?.split('\n\nThe run, step by step')[0])
})
t.test('a lock channel message is heard in its listener\'s process: the lock wait it starts outlives the sender\'s death', async (t) => {
  // Instance A heard C end call-2 and lined up for its lock, which timed out; C was killed meanwhile.
  // The wait ran on C's timers, died with C, and A held the call for good (maps-empty).
  // Found before model turns and WebSockets were generated: without them, the path replays the schedule it was found with.
  const result = await explore({ runs: 1, seed: 1234576001, path: '1242:4:3:6:8:9:9:15:20:26:26:18:18:18:18', skip, without: new Set(['close', 'fault:sync-throw', 'event:user_speak model', 'socket']) })
  t.ok(result.ok, result.report ?? 'no invariant broken')
})

t.test('a turn without an event queued for a call let go since brings no copy of it back: no delay fires for a call no longer held', async (t) => {
  // A and B served call-1 through a store outage and an answer lost; A ended it while turns without an event were queued
  // for it on B and C. Each ran on the call let go, found a record and restored it: its delay then fired on no held call
  // (a TypeError in a timer, which kills a process). The schedule depends on the instances' random draws: the path replays it.
  const result = await explore({ runs: 1, seed: 1328990560, path: '4436:4:0:1:11:14:3:33:18:22:35:36:36:40:45:47:36:39:43:40:41:38:38:38:39:38:38:38:38:38:38:38:38:38:38:38:38:39:38:38:38:38:38:38:38:38:38:38:38:39', skip })
  t.ok(result.ok, result.report ?? 'no invariant broken')
})

/** Defects of the engine the simulation found after issue 19's were fixed, each fixed since: its shrunk schedule, and what it broke. */
const FIXED: Record<string, { schedule: Step[], broke: string }> = {
  'a turn without an event that failed while close() waited for it armed its retry after close (a timer left)': {
    schedule: [send(0, 'user_speak delay', 0), { kind: 'fault', fault: 'lock-times-out' }, { kind: 'advance', ms: 900 }, { kind: 'close', who: 0 }, { kind: 'advance', ms: 900 }, send(0, 'session_start', 0)],
    broke: 'closed-quiet'
  },
  'the store out of reach for longer than an announcement lasts: the instance that came back first took a live instance for gone and ran its work again': {
    schedule: [
      { kind: 'advance', ms: 900 }, send(0, 'user_speak work', 0), send(0, 'session_start', 0), { kind: 'advance', ms: 1600 }, { kind: 'advance', ms: 900 },
      { kind: 'fault', fault: 'down' }, { kind: 'advance', ms: 300 }, { kind: 'fault', fault: 'down' }, { kind: 'advance', ms: 900 }
    ],
    broke: 'work-once'
  },
  'a ticket issued twice for a call: its key gone and begun again, a turn whose lease had lapsed released, and wrote under, a later turn\'s lock, and the work of the call was never taken': {
    schedule: [
      { kind: 'fault', fault: 'lock-times-out' }, send(1, 'session_start', 2), send(1, 'user_speak work', 2), { kind: 'advance', ms: 1600 },
      { kind: 'fault', fault: 'answer-lost' }, send(1, 'session_end', 0), send(1, 'session_start', 1), send(0, 'session_start', 0)
    ],
    broke: 'call-progresses'
  },
  'a work result applied in a turn whose save failed was lost: the call\'s record still listed the work, its owner alive, and nobody ran it again': {
    schedule: [
      send(2, 'user_speak work', 0), { kind: 'advance', ms: 1600 }, { kind: 'fault', fault: 'write-fails' },
      { kind: 'send', call: 2, event: 'session_start', to: 0, overlap: true }, { kind: 'work', pick: 0, outcome: 'ok' }
    ],
    broke: 'call-progresses'
  },
  'a session_end whose delete failed let go of the call and stopped its work, though the record still named this instance its owner: nobody ran the work again': {
    schedule: [
      send(2, 'user_speak work', 0), { kind: 'advance', ms: 1600 }, { kind: 'fault', fault: 'write-fails' },
      send(2, 'session_end', 0), { kind: 'work', pick: 0, outcome: 'ok' }
    ],
    broke: 'call-progresses'
  }
}

t.test('a lock granted while the call\'s earlier turn still waited for its own is renewed as its turn starts: the later event is answered', async (t) => {
  // session_start's wait for its lock gives up after the reply deadline; user_speak's lock, granted at once, waited for that
  // turn here: renewed only a third of a lease after its own turn began, it lapsed first, and the event got 503.
  const schedule: Step[] = [{ kind: 'fault', fault: 'lock-times-out' }, send(1, 'session_start', 2), send(1, 'user_speak work', 2), { kind: 'advance', ms: 1600 }]
  const log: string[] = []
  const scheduler = fc.sample(fc.scheduler(), { numRuns: 1, seed: 1 })[0]
  await simulate({ steps: schedule, instances: 3, scheduler, seed: 0, skip, log })
  t.match(log.join('\n'), /session_start#1 answered 503 by C[^\n]*\n[^]*user_speak#2 answered 2xx by C/, 'the first event refused, the second answered')
})

t.test('the schedules of defects found and fixed since pass, whatever the order of the store\'s answers', async (t) => {
  for (const [name, { schedule, broke }] of Object.entries(FIXED)) {
    for (let order = 1; order <= 3; order++) {
      const scheduler = fc.sample(fc.scheduler(), { numRuns: 1, seed: order })[0]
      const verdict = await simulate({ steps: schedule, instances: 3, scheduler, seed: 0, skip }).then(() => 'pass', (err: unknown) => err instanceof Violation ? err.invariant : String(err))
      t.equal(verdict, 'pass', `${name} (it broke ${broke}), store order ${order}:\n${describeAll(schedule)}`)
    }
  }
})

/**
 * A seed drawn afresh explores schedules no run explored before. While
 * KNOWN_DEFECTS lists defects of the engine, such a seed can meet one of
 * them by another path and fail a run it has nothing to do with: it is
 * drawn only when AI_FLOW_SIM_RANDOM is set (`npm run sim` always draws
 * one), so that `npm test` stays deterministic meanwhile.
 */
const random = process.env.AI_FLOW_SIM_RANDOM === undefined ? undefined : randomInt(2 ** 31)

for (const seed of random === undefined ? SEEDS : [...SEEDS, random]) {
  t.test(`${RUNS} schedules from seed ${seed}${seed === random ? ' (drawn for this run)' : ''}: every invariant holds`, async (t) => {
    if (seed === random) t.comment(`random seed ${seed}: a failure replays with npm run sim -- --seed ${seed}`)
    const result = await explore({ runs: RUNS, seed, skip })
    t.ok(result.ok, result.report ?? 'no invariant broken')
    t.comment(`${result.runs} runs, ${result.steps} steps`)
  })
}
