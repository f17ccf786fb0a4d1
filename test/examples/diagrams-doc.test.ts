import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import type { AnyStateMachine } from 'xstate'
import { flow as pizza } from '../../examples/pizza-flow'
import { collapsed, expanded, highlighted } from '../../examples/diagram-api'
import { cli } from '../fixtures/docs-commands'
import { statesOf, transitionsOf } from '../fixtures/machine-facts'

// The page's commands are processes that load the CLI and the flow through tsx: seconds each, more on a busy machine.
t.setTimeout(120_000)

const root = path.join(__dirname, '..', '..')
const doc = fs.readFileSync(path.join(root, 'docs', 'diagrams.md'), 'utf8')
const blocks = (lang: string): string[] => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(([, body]) => body)

/** What a diagram draws: its boxes (by id), its arrows (`from --> to`, sorted), and where it starts. */
function drawn (diagram: string): { boxes: string[], arrows: string[], starts: string[], ends: string[] } {
  const lines = diagram.split('\n').map((line) => line.trim())
  const arrows = lines.map((line) => /^(\w+) --> (\w+)(?: : .+)?$/.exec(line)).filter((found) => found !== null)
  return {
    boxes: lines.map((line) => /^state "[^"]+" as (\w+)/.exec(line)?.[1]).filter((id) => id !== undefined).sort(),
    arrows: arrows.map(([, from, to]) => `${from} --> ${to}`).sort(),
    starts: lines.map((line) => /^\[\*\] --> (\w+)$/.exec(line)?.[1]).filter((id) => id !== undefined).sort(),
    ends: lines.map((line) => /^(\w+) --> \[\*\]$/.exec(line)?.[1]).filter((id) => id !== undefined).sort()
  }
}

const id = (statePath: string[]): string => statePath.length === 0 ? 'any_state' : statePath.join('_')

/**
 * What the flow's diagram has to draw, read from the machine: with `expand`,
 * every state and every transition that leads somewhere; without, its top
 * states as boxes, and only the transitions between them (what happens
 * inside a fragment's box is its own).
 */
function wanted (machine: AnyStateMachine, expand: boolean): ReturnType<typeof drawn> {
  const states = statesOf(machine).filter((node) => expand || node.path.length === 1)
  const initial = (node: AnyStateMachine['root']): string[] => node.initial?.target.map((target: { path: string[] }) => id(target.path)) ?? []
  return {
    boxes: ['any_state', ...states.map((node) => id(node.path))].sort(),
    arrows: transitionsOf(machine)
      .filter((transition) => transition.targets.length > 0 && (expand || transition.source.length <= 1))
      .map((transition) => `${id(transition.source)} --> ${id(expand ? transition.targets[0] : transition.targets[0].slice(0, 1))}`).sort(),
    starts: [machine.root, ...(expand ? states : [])].flatMap((node) => node.type === 'compound' ? initial(node) : []).sort(),
    ends: states.filter((node) => node.type === 'final').map((node) => id(node.path)).sort()
  }
}

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

t.test('the page\'s diagram draws the pizza flow\'s own states and transitions, read from its machine', async (t) => {
  const [diagram] = blocks('mermaid')
  t.same(drawn(diagram), wanted(pizza, false), 'a box per top state, an arrow per transition between them, the initial state and the final one')
  t.match(diagram, /\n {2}welcome --> size : session_start\n/, 'a plain transition is labelled with its event')
  t.match(diagram, /\n {2}any_state --> ended : session_end\n/, 'the machine\'s own transition leaves from "any state"')
  t.match(diagram, /\n {2}phone --> confirm : [^\n]*\[phoneNumber\]\n/, 'a guard of the author\'s is named')
})

t.test('examples/diagram-api.ts: collapsed is the page\'s diagram; expanded sideways, and highlighted', async (t) => {
  t.same(blocks('mermaid'), [collapsed], 'the page shows what the flow draws today')
  t.same(drawn(expanded), wanted(pizza, true), 'expanded: every state, every transition that leads somewhere')
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

// The commands run as a user runs them (env -i, outside tap's coverage), from the sources: no build needed.
const run = promisify(execFile)

t.test('every command of the page runs, and prints what it says', async (t) => {
  const commands = blocks('sh').flatMap((block) => block.trim().split('\n'))
  t.same(commands.map((line) => line.split(' ').slice(0, 3).join(' ')), Array(commands.length).fill('npx fastify-ai-flow diagram'))
  const outputs = new Map<string, string>()
  for (const command of commands) {
    const args = command.replace(/ > \S+$/, '').split(' ').slice(2)
    const { stdout } = await run('env', ['-i', `PATH=${process.env.PATH ?? ''}`, process.execPath, ...cli, ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
    outputs.set(args.slice(2).join(' '), stdout)
  }
  t.equal(outputs.get(''), blocks('mermaid')[0], 'diagram prints the page\'s diagram')
  t.same(drawn(outputs.get('--expand') as string), wanted(pizza, true), '--expand draws every state and every transition that leads somewhere')
  t.equal(outputs.get('--direction LR'), (outputs.get('') as string).replace('\n  direction TB\n', '\n  direction LR\n'), '--direction LR: the same diagram, sideways')
  t.match(outputs.get('--html'), /^<!doctype html>[\s\S]*<title>pizza-flow\.ts: pizza<\/title>/)
})
