import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'

// docs/testing.md shows whole example files; tap runs examples/news-line.test.ts with the others.
const root = path.join(__dirname, '..', '..')
const page = fs.readFileSync(path.join(root, 'docs', 'testing.md'), 'utf8')
const blocks = [...page.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang, body }))

t.test('every code block of docs/testing.md is a TypeScript file of examples/, named on its first line', async (t) => {
  t.same(blocks.map(({ lang, body }) => [lang, body.split('\n')[0]]), [
    ['ts', '// examples/news-line.ts'],
    ['ts', '// examples/news-line.test.ts']
  ])
})

for (const { body } of blocks) {
  const file = /^\/\/ (examples\/[\w./-]+\.ts)\n/.exec(body)?.[1] as string
  t.test(`the page's ${file} is the file, importing the package (and its testing subpath) by name`, async (t) => {
    const source = fs.readFileSync(path.join(root, file), 'utf8')
    t.equal(body.slice(`// ${file}\n`.length), source.replace(/from '\.\.\/lib(\/[\w-]+)?'/g, "from 'fastify-ai-flow$1'"))
  })
}
