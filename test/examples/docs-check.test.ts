import t from 'tap'
import { checkDocsPage } from '../fixtures/docs-commands'

// The page runs check --types, which builds a TypeScript program of the flow: seconds, more on a busy machine.
t.setTimeout(120_000)

t.test('docs/check.md: its files are the examples, its commands run, its output is theirs', async (t) => {
  checkDocsPage(t, 'docs/check.md')
})
