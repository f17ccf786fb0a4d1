import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { toMermaid } from '../../lib/tools/mermaid'
import { flow } from '../../examples/callback-flow'
import { startExample } from '../fixtures/example-server'
import { eventually } from '../fixtures/helpers'
import { cli } from '../fixtures/docs-commands'

// The walk-through's commands, run as docs/testing-flows.md gives them, against the CLI's sources
// (through tsx: a change in lib/ reaches them without a build). `env -i` keeps the children
// outside tap's coverage (see test/package.test.ts).
// Each command is a process that loads the CLI and a flow through tsx: seconds each, more on a busy machine.
t.setTimeout(120_000)

const root = path.join(__dirname, '..', '..')
const page = fs.readFileSync(path.join(root, 'docs', 'testing-flows.md'), 'utf8')

/** The block of `lang` that follows `after` in the page. */
function blockAfter (after: string, lang: string): string {
  const at = page.indexOf(after)
  if (at === -1) throw new Error(`the page no longer says ${after}`)
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(page.slice(at + after.length))
  if (match === null) throw new Error(`no ${lang} block after ${after}`)
  return match[1]
}

function run (args: string[], { input = '', env = {} }: { input?: string, env?: Record<string, string> } = {}): Promise<{ code: number | null, stdout: string }> {
  const vars = Object.entries({ PATH: process.env.PATH as string, ...env }).map(([key, value]) => `${key}=${value}`)
  const child = spawn('env', ['-i', ...vars, process.execPath, ...args], { cwd: root })
  let stdout = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })))
}

/** The lines a `printf '…' |` command of the page types. */
function typed (command: string): string {
  const match = /printf '([^']*)' \| npx fastify-ai-flow/.exec(page.slice(page.indexOf(command) - 100, page.indexOf(command) + command.length))
  return (match?.[1] ?? '').replaceAll('\\n', '\n')
}

const noIds = (text: string): string => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')

t.test('every code example of the walk-through names its file in examples/', async (t) => {
  const blocks = [...page.matchAll(/```ts\n(.*)\n/g)].map((match) => match[1])
  t.same(blocks, ['// examples/callback-flow.ts', '// examples/callback-flow.test.ts', '// examples/callback-flow.node-test.ts', '// examples/recording-server.ts'])
})

t.test('the node:test command runs the node:test file: its tests pass', async (t) => {
  const command = 'node --import tsx --test examples/callback-flow.node-test.ts'
  t.equal(blockAfter('// examples/callback-flow.node-test.ts\n', 'sh'), command + '\n', 'the page gives the command')
  const { code, stdout } = await run(command.split(' ').slice(1))
  t.equal(code, 0, 'node:test exits 0')
  t.match(stdout, /^# tests 2$/m)
  t.match(stdout, /^# pass 2$/m, 'both tests pass')
})

t.test('the simulate transcript is what the CLI prints', async (t) => {
  const command = '| npx fastify-ai-flow simulate examples/callback-flow.ts\n'
  const { code, stdout } = await run([...cli, 'simulate', 'examples/callback-flow.ts'], { input: typed(command) })
  t.equal(code, 0)
  t.equal(stdout, blockAfter(command, 'text'))
})

t.test('the diagram is what diagram prints', async (t) => {
  const shown = blockAfter('npx fastify-ai-flow diagram examples/callback-flow.ts\n', 'mermaid')
  t.equal(shown, toMermaid(flow))
  const { stdout } = await run([...cli, 'diagram', 'examples/callback-flow.ts'])
  t.equal(stdout, shown)
})

t.test('record a call through the server, replay it, change the flow, replay again', async (t) => {
  const dir = t.testdir()
  const { url: base } = await startExample(t, 'examples/recording-server.ts', { RECORDINGS: dir })
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'the server started')
  const url = `${base}/webhook`

  const call = await run([...cli, 'simulate', url], { input: typed('| npx fastify-ai-flow simulate http://127.0.0.1:3000/webhook\n') })
  t.equal(call.code, 0)
  t.match(call.stdout, /caller: Ada Lovelace\nassistant: Thank you, Ada Lovelace\./)
  const lines = (): number => fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n').length - 1).reduce((a, b) => a + b, 0)
  t.ok(await eventually(() => lines() === 3, 5000), 'three events recorded')

  const same = await run([...cli, 'replay', dir, 'examples/callback-flow.ts'])
  t.equal(same.code, 0)
  t.equal(same.stdout, blockAfter('npx fastify-ai-flow replay recordings examples/callback-flow.ts\n', 'text'))

  fs.mkdirSync(path.join(dir, 'changed'))
  const changed = path.join(dir, 'changed', 'callback-flow.ts')
  fs.writeFileSync(changed, fs.readFileSync(path.join(root, 'examples', 'callback-flow.ts'), 'utf8')
    .replace("from '../lib'", `from ${JSON.stringify(path.join(root, 'lib'))}`)
    .replace('back today', 'back tomorrow'))
  const differs = await run([...cli, 'replay', dir, changed])
  t.equal(differs.code, 1)
  t.equal(noIds(differs.stdout), noIds(blockAfter('and replay again:\n', 'text')))
})
