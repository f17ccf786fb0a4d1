import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createActor, createMachine, fromPromise, type InspectionEvent } from 'xstate'
import { flowVersionOf } from '../../lib'
import { runScript } from '../../lib/testing'
import { COVERAGE_FILE_ENV, coverageLines, withCoverage } from '../../lib/testing/coverage-record'
import { flow as menuFlow } from '../fixtures/flows/menu'

function tempFile (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flow-coverage-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'coverage.jsonl')
}

function lines (file: string): unknown[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
}

t.test(`with ${COVERAGE_FILE_ENV} set, a simulated call appends its states, transitions and events`, async (t) => {
  const file = tempFile(t)
  process.env[COVERAGE_FILE_ENV] = file
  t.teardown(() => { delete process.env[COVERAGE_FILE_ENV] })
  await runScript(menuFlow, ['start', { press: '1' }, 'transferFailed', { press: '2' }])
  const flow = flowVersionOf(menuFlow)
  t.same(lines(file), [
    { flow, state: 'menu.welcome' },
    { flow, event: { type: 'session_start' } },
    { flow, state: 'menu.menu' },
    { flow, transition: 'menu.welcome session_start 0' },
    { flow, event: { type: 'dtmf_received', digit: '1' } },
    { flow, state: 'menu.sales' },
    { flow, transition: 'menu.menu dtmf_received 0' },
    { flow, transition: 'menu.sales session_start 0' },
    { flow, event: { type: 'dtmf_received', digit: '2' } },
    { flow, state: 'menu.bye' },
    { flow, transition: 'menu.menu dtmf_received 1' },
    { flow, event: { type: 'session_end' } }
  ], 'each line once, in the order first seen; the flow hung up, and the call ended')
})

t.test('without it, the test\'s own inspect is handed on untouched', async (t) => {
  const inspect = (): void => {}
  t.equal(withCoverage(inspect, undefined), inspect)
  t.equal(withCoverage(undefined, ''), undefined)
})

t.test("the test's own inspect, a function or an observer, still sees every event", async (t) => {
  const file = tempFile(t)
  const seen: string[] = []
  const machine = createMachine({ id: 'tiny', initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } })
  for (const inspect of [(event: InspectionEvent) => seen.push(event.type), { next: (event: InspectionEvent) => seen.push(event.type) }, {}]) {
    const actor = createActor(machine, { inspect: withCoverage(inspect, file) })
    actor.start()
    actor.send({ type: 'go' })
    actor.stop()
  }
  t.ok(seen.length > 0 && seen.length % 2 === 0, 'both kinds saw the events')
  const flow = flowVersionOf(machine)
  t.same(lines(file), [{ flow, state: 'tiny.a' }, { flow, event: { type: 'go' } }, { flow, state: 'tiny.b' }, { flow, transition: 'tiny.a go 0' }])
})

t.test('only machines are recorded, and only events from outside with snake_case names', async (t) => {
  const promise = createActor(fromPromise(async () => 1), { inspect: (event) => { t.same(coverageLines(event), []) } })
  promise.start()
  await new Promise((resolve) => setImmediate(resolve))
  const seen: unknown[] = []
  const machine = createMachine({ id: 'm', initial: 'a', states: { a: { entry: ({ self }) => self.send({ type: 'Inner' }), on: { Inner: 'b' } }, b: {} } })
  createActor(machine, { inspect: (event) => seen.push(...coverageLines(event)) }).start()
  t.notOk(seen.some((line) => 'event' in (line as object)), 'xstate.init and CamelCase events are left out')
})
