import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

// The walk-throughs of export, check and coverage: their files are the examples, their commands
// run through the built CLI (npm test builds it first), and the output they show is the output.
const root = path.join(__dirname, '..', '..')
const bin = path.join(root, JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).bin['fastify-ai-flow'])
const pages = ['docs/stately.md', 'docs/check.md', 'docs/coverage.md']

interface Block { lang: string, body: string, output?: { command: string, beginning: boolean } }

function blocks (text: string): Block[] {
  return [...text.matchAll(/(?:<!-- output of: (.+?)( \(beginning\))? -->\n)?```(\w+)\n([\s\S]*?)```/g)].map(([, command, beginning, lang, body]) =>
    ({ lang, body, ...(command !== undefined && { output: { command, beginning: beginning !== undefined } }) }))
}

/** Runs outside tap's coverage (`env -i`), as a user would. */
function run (args: string[], cwd: string, env: Record<string, string> = {}): { status: number | null, stdout: string, stderr: string } {
  const vars = Object.entries({ PATH: process.env.PATH as string, ...env }).map(([key, value]) => `${key}=${value}`)
  return spawnSync('env', ['-i', ...vars, process.execPath, ...args], { cwd, encoding: 'utf8' })
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'flow-tools-docs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The commands name files of the repository; what they write lands in the temporary directory.
symlinkSync(path.join(root, 'examples'), path.join(dir, 'examples'))
symlinkSync(path.join(root, 'test'), path.join(dir, 'test'))

const outputs = new Map<string, string>()

/** One line of a sh block: the CLI, or the test run that records coverage. */
function runLine (t: { equal: (a: unknown, b: unknown, message: string) => unknown, ok: (value: unknown, message: string) => unknown }, line: string): void {
  const record = /^AI_FLOW_COVERAGE=(\S+) npx tap --disable-coverage (\S+)$/.exec(line)
  if (record !== null) {
    // What tap does with one test file, without tap's own coverage.
    const result = run(['--import', 'tsx', record[2]], root, { AI_FLOW_COVERAGE: path.join(dir, record[1]) })
    t.equal(result.status, 0, `${line}: the tests pass`)
    return
  }
  const parsed = /^npx fastify-ai-flow (.+?)(?: > (\S+))?(?: # exits (\d))?$/.exec(line)
  t.ok(parsed, `${line}: a command the test knows`)
  if (parsed === null) return
  const [, args, redirect, exits] = parsed
  const result = run([bin, ...args.split(' ')], dir)
  t.equal(result.status, Number(exits ?? 0), `${line}: exit code`)
  t.equal(result.stderr, '', `${line}: nothing on stderr`)
  outputs.set(`npx fastify-ai-flow ${args}`, result.stdout)
  if (redirect !== undefined) writeFileSync(path.join(dir, redirect), result.stdout)
}

for (const page of pages) {
  t.test(`${page}: its files are the examples, its commands run, its output is theirs`, async (t) => {
    const text = readFileSync(path.join(root, page), 'utf8')
    for (const block of blocks(text)) {
      const marker = /^\/\/ (examples\/[\w./-]+\.ts)\n/.exec(block.body)
      if (block.output !== undefined) {
        const { command, beginning } = block.output
        const output = outputs.get(command) ?? ''
        if (beginning) t.ok(output.startsWith(block.body), `${command}: the output begins as shown`)
        else t.equal(block.body, output, `${command}: the output shown`)
      } else if (marker !== null) {
        const source = readFileSync(path.join(root, marker[1]), 'utf8')
        t.equal(block.body.slice(marker[0].length), source.replace(/from '\.\.\/lib(\/[\w-]+)?'/g, "from 'fastify-ai-flow$1'"), `${marker[1]} is the file`)
      } else {
        t.equal(block.lang, 'sh', 'a block that is no file and no output is commands')
        for (const line of block.body.trim().split('\n')) runLine(t, line)
      }
    }
  })
}

t.test('what export wrote is taken by createMachine', async (t) => {
  const { createMachine } = await import('xstate')
  const config = JSON.parse(readFileSync(path.join(dir, 'ivr-menu.json'), 'utf8'))
  t.equal(createMachine(config).id, 'ivr')
  t.match(readFileSync(path.join(dir, 'ivr-menu.machine.ts'), 'utf8'), /^import \{ createMachine \} from 'xstate'/)
})
