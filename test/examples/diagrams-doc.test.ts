import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { toMermaid } from '../../lib'
import { flow as pizza } from '../../examples/pizza-flow'
import { collapsed, expanded, highlighted } from '../../examples/diagram-api'

const root = path.join(__dirname, '..', '..')
const doc = fs.readFileSync(path.join(root, 'docs', 'diagrams.md'), 'utf8')
const blocks = (lang: string): string[] => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(([, body]) => body)

t.test('every TypeScript block of docs/diagrams.md is its example file, importing the package by name', async (t) => {
  const ts = blocks('ts')
  t.ok(ts.length > 0)
  for (const block of ts) {
    const marker = /^\/\/ (examples\/[\w./-]+\.ts)\n/.exec(block)
    t.ok(marker, 'the block names its file')
    const source = fs.readFileSync(path.join(root, (marker as RegExpExecArray)[1]), 'utf8')
    t.equal(block.slice((marker as RegExpExecArray)[0].length), source.replace(/from '\.\.\/lib(\/[\w-]+)?'/g, "from 'fastify-ai-flow$1'"))
  }
})

t.test("the page's diagram is the one the pizza flow draws today", async (t) => {
  t.same(blocks('mermaid'), [toMermaid(pizza)])
  t.equal(collapsed, toMermaid(pizza))
})

t.test('examples/diagram-api.ts: expanded sideways, and highlighted', async (t) => {
  t.match(expanded, /^stateDiagram-v2\n {2}direction LR\n/)
  t.match(expanded, /state "reprompt1" as toppings_listening_noInput_reprompt1\n/)
  t.match(highlighted, /\n {2}class toppings active\n/)
})

t.test('the pictures it shows are in docs/', async (t) => {
  const pictures = [...doc.matchAll(/!\[[^\]]+\]\(([\w-]+\.png)\)/g)].map(([, file]) => file)
  t.same(pictures, ['pizza-flow.png', 'pizza-flow-expanded.png'])
  for (const file of pictures) {
    t.same([...fs.readFileSync(path.join(root, 'docs', file)).subarray(1, 4)], [...Buffer.from('PNG')], `${file} is a PNG`)
  }
})

// npm test builds dist/ before tap runs: the commands run as a user runs them, outside tap's coverage.
const bin = path.join(root, 'dist', 'lib', 'cli', 'index.js')
const run = promisify(execFile)

t.test('every command of the page runs, and prints what it says', async (t) => {
  const commands = blocks('sh').flatMap((block) => block.trim().split('\n'))
  t.same(commands.map((line) => line.split(' ').slice(0, 3).join(' ')), Array(commands.length).fill('npx fastify-ai-flow diagram'))
  const outputs = new Map<string, string>()
  for (const command of commands) {
    const args = command.replace(/ > \S+$/, '').split(' ').slice(2)
    const { stdout } = await run('env', ['-i', `PATH=${process.env.PATH ?? ''}`, process.execPath, bin, ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
    outputs.set(args.slice(2).join(' '), stdout)
  }
  t.equal(outputs.get(''), toMermaid(pizza))
  t.equal(outputs.get('--expand'), toMermaid(pizza, { expand: true }))
  t.equal(outputs.get('--direction LR'), toMermaid(pizza, { direction: 'LR' }))
  t.match(outputs.get('--html'), /^<!doctype html>[\s\S]*<title>pizza-flow\.ts: pizza<\/title>/)
})
