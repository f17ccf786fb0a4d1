import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { AnyStateMachine } from 'xstate'
import { toMermaid } from '../../lib/tools/mermaid'
import { flow as ivrMenu } from '../../examples/ivr-menu'
import { flow as bookingBot } from '../../examples/booking-bot'
import { flow as transferFallback } from '../../examples/transfer-fallback'

const flows: Record<string, AnyStateMachine> = {
  'examples/ivr-menu.ts': ivrMenu,
  'examples/booking-bot.ts': bookingBot,
  'examples/transfer-fallback.ts': transferFallback
}

const root = path.join(__dirname, '..', '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')

function section (name: string): string {
  const start = readme.indexOf(`<!-- section: ${name} -->`)
  const next = readme.indexOf('<!-- section: ', start + 1)
  return start === -1 ? '' : readme.slice(start, next === -1 ? undefined : next)
}

const diagrams = [...readme.matchAll(/<!-- diagram: (examples\/[\w-]+\.ts) -->\n```mermaid\n([\s\S]*?)```/g)]

t.test('the README draws the three example flows', async (t) => {
  t.same(diagrams.map(([, file]) => file).sort(), Object.keys(flows).sort())
})

t.test('the examples section has a diagram and a simulate command for each example flow', async (t) => {
  const examples = section('examples')
  for (const name of ['ivr-menu', 'booking-bot', 'transfer-fallback']) {
    t.ok(examples.includes(`<!-- diagram: examples/${name}.ts -->`), `${name} has its diagram`)
    t.ok(examples.includes(`npx fastify-ai-flow simulate examples/${name}.ts`), `${name} has its simulate command`)
  }
})

for (const [, file, diagram] of diagrams) {
  t.test(`the README's diagram of ${file} is the one the flow draws today`, async (t) => {
    t.ok(file in flows, 'a flow this test knows')
    t.equal(diagram, toMermaid(flows[file]))
  })
}

t.test('the fragments and live view sections show whole example files', async (t) => {
  for (const name of ['fragments', 'live-view']) {
    const text = section(name)
    t.ok(text.length > 0, `the ${name} section exists`)
    t.match(text, /```ts\n\/\/ examples\/[\w-]+\.ts\n/, `the ${name} section shows an example file`)
  }
})
