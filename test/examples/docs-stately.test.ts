import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { createMachine } from 'xstate'
import { checkDocsPage } from '../fixtures/docs-commands'

// Each command is a process that loads a TypeScript flow through tsx.
t.setTimeout(120_000)

t.test('docs/stately.md: its commands run, its output is theirs, and what export wrote is taken by createMachine', async (t) => {
  const dir = checkDocsPage(t, 'docs/stately.md')
  const config = JSON.parse(readFileSync(path.join(dir, 'ivr-menu.json'), 'utf8'))
  t.equal(createMachine(config).id, 'ivr')
  t.match(readFileSync(path.join(dir, 'ivr-menu.machine.ts'), 'utf8'), /^import \{ createMachine \} from 'xstate'/)
})
