import t from 'tap'
import { checkDocsPage } from '../fixtures/docs-commands'

// The page runs the demo's tests and the CLI, each a process that loads TypeScript through tsx.
t.setTimeout(120_000)

t.test('docs/coverage.md: its files are the examples, its commands run, its output is theirs', async (t) => {
  checkDocsPage(t, 'docs/coverage.md')
})
