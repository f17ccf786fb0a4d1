import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createMachine } from 'xstate'
import { flowVersionOf } from '../../lib'
import { EXIT, runCli } from '../../lib/cli/program'
import { runScript } from '../../lib/testing'
import { COVERAGE_FILE_ENV } from '../../lib/testing/coverage-record'
import { memoryIo } from '../fixtures/cli-io'

const flows = path.join(__dirname, '..', 'fixtures', 'flows')
// The same module the CLI loads, so the record is of the same flow.
const { flow: menuFlow } = require('../fixtures/flows/menu.cjs')

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flow-tools-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('export prints a createMachine module by default, the bare config with --format json', async (t) => {
  const ts = memoryIo(flows)
  t.equal(await runCli(['export', 'menu.cjs'], ts), EXIT.ok)
  t.match(ts.out(), /^import \{ createMachine \} from 'xstate'\n\n\/\/ Made by `fastify-ai-flow export menu\.cjs`.*\nexport const machine = createMachine\(\{\n {2}id: "menu",/)
  const json = memoryIo(flows)
  t.equal(await runCli(['export', 'named.cjs', '--export', 'support', '--format', 'json'], json), EXIT.ok)
  const config = JSON.parse(json.out())
  t.equal(createMachine(config).id, config.id, 'createMachine takes it')
  const wrong = memoryIo(flows)
  t.equal(await runCli(['export', 'menu.cjs', '--format', 'yaml'], wrong), EXIT.error)
  t.match(wrong.err(), /Allowed choices are ts, json/)
})

t.test('check: exit code 0 for a clean flow, 1 with the errors listed', async (t) => {
  const clean = memoryIo(flows)
  t.equal(await runCli(['check', 'menu.cjs'], clean), EXIT.ok)
  t.equal(clean.out(), 'menu.cjs (menu): no problems found\n')
  const named = memoryIo(flows)
  t.equal(await runCli(['check', 'named.cjs', '--export', 'support', '--types'], named), 1)
  t.match(named.out(), /^error {3}dead-end {2}open: no event leads out of this state/, 'the export named: one state, no way out')
  const broken = memoryIo(flows)
  t.equal(await runCli(['check', 'typo.cjs'], broken), 1)
  t.equal(broken.out(), [
    'error   unknown-event        menu: waits for "user_speaks", which the protocol does not send (did you mean "user_speak"?); if the service sends it, declare it (check --types reads a TypeScript flow\'s types.events, --event names it)',
    'error   unreachable          forgotten: no transition leads here, and it is not an initial state',
    'error   silence-not-handled  welcome: on session_start, a speak waits for the caller (user_input_timeout_seconds), and nothing here handles user_input_timeout',
    'warning shadowed-transition  menu: on dtmf_received: 1 transition(s) after one without a guard are never taken',
    'typo.cjs (typo): 3 errors, 1 warning',
    ''
  ].join('\n'))
  const untyped = memoryIo(flows)
  t.equal(await runCli(['check', 'typo.cjs', '--types'], untyped), 1)
  t.equal(untyped.out(), broken.out(), 'with --types the same: a JavaScript flow declares no types')
  const declared = memoryIo(flows)
  t.equal(await runCli(['check', 'typo.cjs', '--event', 'user_speaks', 'other'], declared), 1)
  t.notMatch(declared.out(), /unknown-event/, 'declared events are known')
  const warned = memoryIo(flows, [], { env: { FORCE_COLOR: '1' } })
  await runCli(['check', 'typo.cjs'], warned)
  t.ok(warned.out().includes('\u001b[31merror  \u001b[39m'), 'errors in red when colour is on')
})

t.test('coverage reads the record the tests wrote and scripts what they missed', async (t) => {
  const dir = tempDir(t)
  const record = path.join(dir, 'visits.jsonl')
  process.env[COVERAGE_FILE_ENV] = record
  t.teardown(() => { delete process.env[COVERAGE_FILE_ENV] })
  await runScript(menuFlow, ['start', { press: '1' }])
  delete process.env[COVERAGE_FILE_ENV]

  const io = memoryIo(dir, [], { env: { [COVERAGE_FILE_ENV]: 'visits.jsonl' } })
  t.equal(await runCli(['coverage', path.join(flows, 'menu.cjs')], io), EXIT.ok)
  t.equal(io.out(), [
    'menu.cjs (menu), from visits.jsonl',
    '  states       3/4  75 %',
    '  transitions  2/8  25 %',
    '',
    'States never visited, and the shortest script that reaches each:',
    '  bye',
    "    await runScript(flow, ['start', { press: '2' }])",
    '',
    'Transitions never taken:',
    '  menu -> bye: dtmf_received [guard]',
    '  menu -> (stays): dtmf_received',
    '  menu -> (stays): user_speak',
    '  menu -> (stays): user_input_timeout',
    '  menu -> bye: after 30000 ms',
    '  sales -> menu: session_start',
    ''
  ].join('\n'))

  const byOption = memoryIo(flows)
  t.equal(await runCli(['coverage', 'menu.cjs', '--record', record], byOption), EXIT.ok)
  t.match(byOption.out(), /states {7}3\/4/)
})

t.test('coverage counts a fragment as one state and its exits, the way diagram draws it; --expand counts its inside too', async (t) => {
  const dir = tempDir(t)
  const { flow: fragmentFlow } = require('../fixtures/flows/fragment.cjs')
  const flow = flowVersionOf(fragmentFlow)
  const lines = [
    ...['question', 'ask.question.listening', 'ask.question.matched', 'ask.thanks'].map((state) => ({ flow, state })),
    ...['ask.question.listening user_speak 0', 'question xstate.done.state.question 0'].map((transition) => ({ flow, transition }))
  ]
  writeFileSync(path.join(dir, 'visits.jsonl'), lines.map((line) => JSON.stringify(line)).join('\n'))

  const collapsed = memoryIo(dir)
  t.equal(await runCli(['coverage', path.join(flows, 'fragment.cjs'), '--record', 'visits.jsonl'], collapsed), EXIT.ok)
  t.equal(collapsed.out(), [
    'fragment.cjs (ask), from visits.jsonl',
    '  states       2/3  66 %',
    '  transitions  1/2  50 %',
    '',
    'States never visited, and the shortest script that reaches each:',
    '  bye',
    '    no script found: it lies behind an invoked actor, a named delay or words the tests never said',
    '',
    'Transitions never taken:',
    '  question -> bye: no input ×2',
    ''
  ].join('\n'), 'only the fragment and its exits: nothing of its reprompts')

  const expanded = memoryIo(dir)
  t.equal(await runCli(['coverage', path.join(flows, 'fragment.cjs'), '--record', 'visits.jsonl', '--expand'], expanded), EXIT.ok)
  t.match(expanded.out(), /states {7}4\/7 {2}57 %\n {2}transitions {2}2\/5 {2}40 %\n/)
  t.match(expanded.out(), /\n {2}question\.reprompt1\n/, 'the reprompt state is counted')
  t.match(expanded.out(), /\n {2}question\.listening -> question\.reprompt1: user_input_timeout\n/)
})

t.test('coverage shows transitions of the machine itself, and states no script reaches', async (t) => {
  const dir = tempDir(t)
  const record = path.join(dir, 'typo.jsonl')
  process.env[COVERAGE_FILE_ENV] = record
  t.teardown(() => { delete process.env[COVERAGE_FILE_ENV] })
  await runScript(require('../fixtures/flows/typo.cjs').flow, ['start'])
  delete process.env[COVERAGE_FILE_ENV]
  const io = memoryIo(flows)
  t.equal(await runCli(['coverage', 'typo.cjs', '--record', record], io), EXIT.ok)
  t.match(io.out(), /\n {2}forgotten\n {4}no script found: it lies behind an invoked actor, a named delay or words the tests never said\n/)
  t.match(io.out(), /\n {2}\(any state\) -> bye: session_end\n/)
})

t.test('coverage says what is wrong with the record', async (t) => {
  const dir = tempDir(t)
  const missing = memoryIo(dir)
  t.equal(await runCli(['coverage', path.join(flows, 'menu.cjs')], missing), EXIT.error)
  t.match(missing.err(), /cannot read the coverage record .*flow-coverage\.jsonl: .*; run the tests with AI_FLOW_COVERAGE=.*flow-coverage\.jsonl first/)
  writeFileSync(path.join(dir, 'bad.jsonl'), 'nonsense\n')
  const bad = memoryIo(dir)
  t.equal(await runCli(['coverage', path.join(flows, 'menu.cjs'), '--record', 'bad.jsonl'], bad), EXIT.error)
  t.match(bad.err(), /bad\.jsonl: line 1 is not JSON: nonsense/)
  writeFileSync(path.join(dir, 'other.jsonl'), '{"flow":"sha256:other","state":"x"}\n')
  const other = memoryIo(dir)
  t.equal(await runCli(['coverage', path.join(flows, 'menu.cjs'), '--record', 'other.jsonl'], other), EXIT.error)
  t.match(other.err(), /other\.jsonl holds no visits of menu\.cjs \(menu\) as it is now: run its tests again/)
})

t.test('a record where every state and transition was visited lists nothing missing', async (t) => {
  const dir = tempDir(t)
  const record = path.join(dir, 'all.jsonl')
  process.env[COVERAGE_FILE_ENV] = record
  t.teardown(() => { delete process.env[COVERAGE_FILE_ENV] })
  const { support } = require('../fixtures/flows/named.cjs')
  await runScript(support, ['start', 'hangUp'])
  delete process.env[COVERAGE_FILE_ENV]
  const io = memoryIo(flows)
  t.equal(await runCli(['coverage', 'named.cjs', '--export', 'support', '--record', record], io), EXIT.ok)
  t.match(io.out(), /states {7}1\/1 {2}100 %\n {2}transitions {2}0\/0 {2}100 %\n$/)
})
