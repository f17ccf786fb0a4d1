import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { AnyStateMachine } from 'xstate'
import { checkDocsPage, shownOutput } from '../fixtures/docs-commands'
import { statesOf, transitionsOf } from '../fixtures/machine-facts'

// The page runs check --types, which builds a TypeScript program of the flow: seconds, more on a busy machine.
t.setTimeout(120_000)

t.test('docs/check.md: its files are the examples, its commands run, its output is theirs', async (t) => {
  checkDocsPage(t, 'docs/check.md')
})

t.test('each mistake the page shows in typo.cjs is in its machine', async (t) => {
  const { flow } = require('../fixtures/flows/typo.cjs') as { flow: AnyStateMachine }
  const report = shownOutput('docs/check.md', 'npx fastify-ai-flow check test/fixtures/flows/typo.cjs').trim().split('\n')
  // The service's documented events, from its own example payloads.
  const examples = path.join(__dirname, '..', 'fixtures', 'protocol-examples')
  const documented = readdirSync(examples).filter((file) => file.startsWith('event-'))
    .map((file) => (JSON.parse(readFileSync(path.join(examples, file), 'utf8')) as { type: string }).type)
  const transitions = transitionsOf(flow)
  const from = (state: string, event: string) => transitions.filter((transition) => transition.source.join('.') === state && transition.event === event)

  const findings = report.slice(0, -1).map((line) => /^(error|warning) +(\S+) +(\w+): (.*)$/.exec(line)?.slice(1) ?? [line])
  t.same(findings.map(([level, rule, state]) => `${level} ${rule} ${state}`), [
    'error unknown-event menu',
    'error unreachable forgotten',
    'error silence-not-handled welcome',
    'warning shadowed-transition menu'
  ])
  t.ok(from('menu', 'user_speaks').length > 0 && !documented.includes('user_speaks') && documented.includes('user_speak'),
    'menu waits for user_speaks, which the service does not send; user_speak it does')
  t.ok(statesOf(flow).some((node) => node.key === 'forgotten') && !transitions.some((transition) => transition.targets.some((target) => target.join('.') === 'forgotten')),
    'no transition leads to forgotten')
  t.not(flow.root.initial.target[0].key, 'forgotten', 'forgotten is not the initial state')
  t.ok(from('welcome', 'session_start').length > 0 && transitions.every((transition) => transition.event !== 'user_input_timeout'),
    'welcome speaks on session_start, and no transition of the flow handles user_input_timeout')
  const keys = from('menu', 'dtmf_received')
  const open = keys.findIndex((transition) => !transition.guarded)
  t.equal(keys.length - open - 1, Number(/: (\d+) transition\(s\) after one without a guard/.exec(findings[3][3])?.[1]), 'that many dtmf_received transitions of menu come after an unguarded one')
  t.equal(report.at(-1), `typo.cjs (${flow.id}): 3 errors, 1 warning`)
})
