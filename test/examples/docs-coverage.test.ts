import t from 'tap'
import { demoFlow } from '../../examples/demo-flow'
import { checkDocsPage, shownOutput } from '../fixtures/docs-commands'
import { statesOf, transitionsOf } from '../fixtures/machine-facts'

// The page runs the demo's tests and the CLI, each a process that loads TypeScript through tsx.
t.setTimeout(120_000)

t.test('docs/coverage.md: its files are the examples, its commands run, its output is theirs', async (t) => {
  checkDocsPage(t, 'docs/coverage.md')
})

t.test('the report the page shows counts and names the demo flow\'s own states and transitions', async (t) => {
  const report = shownOutput('docs/coverage.md', 'npx fastify-ai-flow coverage examples/demo-flow.ts')
  const states = statesOf(demoFlow).map((node) => node.path.join('.'))
  const transitions = transitionsOf(demoFlow)
  const [, visited, total, percent] = /states +(\d+)\/(\d+) +(\d+) %/.exec(report) ?? []
  t.equal(Number(total), states.length, `the flow has ${states.length} states: ${states.join(', ')}`)
  t.equal(Number(percent), Math.round(100 * Number(visited) / Number(total)))
  const [, taken, all, share] = /transitions +(\d+)\/(\d+) +(\d+) %/.exec(report) ?? []
  t.equal(Number(all), transitions.length, `the flow has ${transitions.length} transitions, its root's, its always and targetless ones included`)
  t.equal(Number(share), Math.round(100 * Number(taken) / Number(all)))

  const unvisited = /States never visited[^\n]*\n([\s\S]*?)\n\n/.exec(report)?.[1].split('\n').filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim()) ?? []
  t.equal(unvisited.length, Number(total) - Number(visited), 'every state not visited is named')
  for (const state of unvisited) t.ok(states.includes(state), `${state} is a state of the flow`)

  const untaken = /Transitions never taken:\n([\s\S]*)$/.exec(report)?.[1].trim().split('\n') ?? []
  t.equal(untaken.length, Number(all) - Number(taken), 'every transition not taken is named')
  for (const line of untaken) {
    const [, source, target, event, guard] = /^ *(.+?) -> (.+?): (\S+)(?: \[(.+)\])?$/.exec(line) ?? []
    const found = transitions.some((transition) =>
      (source === '(any state)' ? transition.source.length === 0 : transition.source.join('.') === source) &&
      (target === '(stays)' ? transition.targets.length === 0 : transition.targets.map((path) => path.join('.')).join(', ') === target) &&
      (event === 'always' ? transition.event === '' : transition.event === event) &&
      transition.guarded === (guard !== undefined))
    t.ok(found, `${line.trim()}: a transition of the flow`)
  }
})
