import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { createMachine, type AnyStateMachine } from 'xstate'
import { flow as ivr } from '../../examples/ivr-menu'
import { helloFlow } from '../../examples/hello-flow'
import { checkDocsPage, shownOutput } from '../fixtures/docs-commands'
import { statesOf, transitionsOf } from '../fixtures/machine-facts'

// Each command is a process that loads a TypeScript flow through tsx.
t.setTimeout(120_000)

/** A machine's states and transitions, in an order that does not depend on how its config was written. */
function shape (machine: AnyStateMachine): { states: string[], transitions: string[] } {
  return {
    states: statesOf(machine).map((node) => `${node.path.join('.')} (${node.type})`).sort(),
    transitions: transitionsOf(machine).map(({ source, event, targets, guarded }) =>
      `${source.join('.')} -> ${targets.map((target) => target.join('.')).join(', ')}: ${event}${guarded ? ' [guarded]' : ''}`).sort()
  }
}

t.test('docs/stately.md: its commands run, its output is theirs, and what export wrote has the flow\'s own states and transitions', async (t) => {
  const dir = checkDocsPage(t, 'docs/stately.md')
  const config = JSON.parse(readFileSync(path.join(dir, 'ivr-menu.json'), 'utf8'))
  const exported = createMachine(config)
  t.equal(exported.id, ivr.id)
  t.same(shape(exported), shape(ivr), 'createMachine(the JSON) has the states and transitions of the flow it came from')
  t.match(readFileSync(path.join(dir, 'ivr-menu.machine.ts'), 'utf8'), /^import \{ createMachine \} from 'xstate'/)
})

t.test('the beginning of an export the page shows is the hello flow\'s', async (t) => {
  const shown = shownOutput('docs/stately.md', 'npx fastify-ai-flow export examples/hello-flow.ts --export helloFlow')
  const initial = helloFlow.root.initial.target[0]
  const [first] = transitionsOf(helloFlow).filter((transition) => transition.source.join('.') === initial.key)
  t.match(shown, `  id: ${JSON.stringify(helloFlow.id)},\n  initial: ${JSON.stringify(initial.key)},\n  states: {\n    ${initial.key}: {\n      on: {\n        ${first.event}: {\n          target: ${JSON.stringify(first.targets[0].at(-1))},`)
})
