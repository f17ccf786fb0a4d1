import t from 'tap'
import type { AnyStateMachine } from 'xstate'
import { toMermaid } from '../../lib/tools/mermaid'
import { flow as ivrMenu } from '../../examples/ivr-menu'
import { flow as bookingBot } from '../../examples/booking-bot'
import { flow as transferFallback } from '../../examples/transfer-fallback'
import { flow as dentistLine } from '../../examples/dentist-line'
import { flow as frontDesk } from '../../examples/front-desk'
import { readPage, section } from '../fixtures/markdown'

const flows: Record<string, AnyStateMachine> = {
  'examples/ivr-menu.ts': ivrMenu,
  'examples/booking-bot.ts': bookingBot,
  'examples/transfer-fallback.ts': transferFallback,
  'examples/dentist-line.ts': dentistLine,
  'examples/front-desk.ts': frontDesk
}

const examplesPage = readPage('docs/examples.md')
const readmeExamples = section(readPage('README.md'), 'examples')
const diagrams = [...examplesPage.matchAll(/<!-- diagram: (examples\/[\w-]+\.ts) -->\n```mermaid\n([\s\S]*?)```/g)]

t.test('docs/examples.md draws the example flows', async (t) => {
  t.same(diagrams.map(([, file]) => file).sort(), Object.keys(flows).sort())
})

t.test('docs/examples.md and the README give a simulate command for each example flow', async (t) => {
  for (const name of ['ivr-menu', 'booking-bot', 'transfer-fallback', 'dentist-line', 'front-desk']) {
    t.ok(examplesPage.includes(`npx fastify-ai-flow simulate examples/${name}.ts`), `${name} has its command in docs/examples.md`)
    t.ok(readmeExamples.includes(`npx fastify-ai-flow simulate examples/${name}.ts`), `${name} has its command in the README`)
  }
  t.ok(readmeExamples.includes('](docs/examples.md)'), 'the README links the page')
})

for (const [, file, diagram] of diagrams) {
  t.test(`docs/examples.md's diagram of ${file} is the one the flow draws today`, async (t) => {
    t.ok(file in flows, 'a flow this test knows')
    t.equal(diagram, toMermaid(flows[file]))
  })
}
