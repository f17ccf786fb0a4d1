import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { EXIT, runCli } from '../../lib/cli/program'
import { replayReport } from '../../lib/cli/replay-command'
import { paint } from '../../lib/cli/paint'
import { mermaidScript } from '../../lib/cli/diagram-command'
import { UsageError } from '../../lib/cli/usage-error'
import { buildApp, event, post } from '../fixtures/helpers'
import { memoryIo } from '../fixtures/cli-io'
import { flow as menuFlow } from '../fixtures/flows/menu'

const flows = path.join(__dirname, '..', 'fixtures', 'flows')
const version = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version

t.test('--version, --help, and an unknown command', async (t) => {
  let io = memoryIo(flows)
  t.equal(await runCli(['--version'], io), EXIT.ok)
  t.equal(io.out(), `${version}\n`)
  io = memoryIo(flows)
  t.equal(await runCli(['--help'], io), EXIT.ok)
  t.match(io.out(), /simulate \[options\] <flow-module-or-url>[\s\S]*diagram \[options\] <flow-module>[\s\S]*replay \[options\] <recording> <flow-module>/)
  io = memoryIo(flows)
  t.equal(await runCli(['dance'], io), EXIT.error)
  t.match(io.err(), /unknown command 'dance'/)
  io = memoryIo(flows)
  t.equal(await runCli(['diagram'], io), EXIT.error)
  t.match(io.err(), /missing required argument 'flow-module'/)
})

t.test('diagram prints the Mermaid source of the flow', async (t) => {
  const io = memoryIo(flows)
  t.equal(await runCli(['diagram', 'menu.cjs'], io), EXIT.ok)
  t.match(io.out(), /^stateDiagram-v2\n {2}direction TB\n {2}\[\*\] --> welcome\n/)
  t.match(io.out(), /menu --> bye : after 30000 ms\n/)
  const lr = memoryIo(flows)
  t.equal(await runCli(['diagram', 'named.cjs', '--export', 'support', '--direction', 'LR'], lr), EXIT.ok)
  t.match(lr.out(), /direction LR\n {2}\[\*\] --> open\n/)
  const wrong = memoryIo(flows)
  t.equal(await runCli(['diagram', 'menu.cjs', '--direction', 'up'], wrong), EXIT.error)
  t.match(wrong.err(), /Allowed choices are TB, LR/)
})

t.test('diagram --html prints a page with Mermaid inlined and the diagram escaped', async (t) => {
  const io = memoryIo(flows)
  t.equal(await runCli(['diagram', 'menu.cjs', '--html'], io), EXIT.ok)
  const page = io.out()
  t.match(page, /^<!doctype html>/)
  t.match(page, /<title>menu\.cjs: menu<\/title>/)
  t.match(page, /<pre class="mermaid">\nstateDiagram-v2\n {2}direction TB\n {2}\[\*\] --&#62; welcome\n/)
  t.ok(page.includes(readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8').replace(/<\/(script)/gi, '<\\/$1').slice(0, 2000)), 'Mermaid is inlined')
  t.equal(page.match(/<\/script>/g)?.length, 2, 'only the page\'s own script elements end')
})

t.test('without Mermaid installed, --html says how to get it', async (t) => {
  const nowhere = path.join(os.tmpdir(), 'a-project-without-mermaid', 'package.json')
  t.throws(() => mermaidScript([nowhere]), new UsageError('--html inlines Mermaid, which is not installed: npm install --save-dev mermaid'))
  t.match(mermaidScript([nowhere, __filename]), /mermaid/, 'the next place is tried')
})

t.test('a flow module that cannot be used is one line on stderr and exit code 2', async (t) => {
  const io = memoryIo(flows)
  t.equal(await runCli(['diagram', 'broken.cjs'], io), EXIT.error)
  t.equal(io.err(), 'fastify-ai-flow: broken.cjs could not be loaded: this module does not load\n')
  t.equal(io.out(), '')
})

async function recording (t: { testdir: () => string }): Promise<string> {
  const dir = t.testdir()
  const { app } = await buildApp({ flow: menuFlow, record: { dir } })
  await post(app, event('session_start', 'cli-call', { session: { id: 'cli-call', from_phone_number: '+4915112345678' } }))
  await post(app, event('dtmf_received', 'cli-call', { digit: '3' }))
  await post(app, event('dtmf_received', 'cli-call', { digit: '2' }))
  await post(app, event('session_end', 'cli-call'))
  await app.close()
  return path.join(dir, 'cli-call.jsonl')
}

t.test('replay: exit code 0 when every reply matches, 1 with the differences when not', async (t) => {
  const file = await recording(t)
  const same = memoryIo(flows)
  t.equal(await runCli(['replay', file, 'menu.cjs'], same), EXIT.ok)
  t.equal(same.out(), '1 call, 4 events: every reply matches the recording\n')
  const changed = memoryIo(flows)
  t.equal(await runCli(['replay', file, 'echo.cjs'], changed), EXIT.differs)
  t.match(changed.out(), [
    'call cli-call, event 1: session_start',
    '    recorded: {"type":"speak","text":"Welcome. Press 1 for sales, 2 to leave.","user_input_timeout_seconds":5}',
    '    replayed: {"type":"speak","text":"Hello from JavaScript."}',
    '    state: recorded menu, replayed {}',
    'call cli-call, event 2: dtmf_received {"digit":"3"}',
    '    recorded: {"type":"speak","text":"Please press 1 or 2."}',
    '    replayed: (no actions)'
  ].join('\n'))
  t.match(changed.out(), /1 call, 4 events: 3 replies differ from the recording\n$/)
  t.match(changed.out(), /recorded: {"type":"speak","text":"Goodbye."}\n {14}{"type":"hangup"}\n/, 'each action of a reply on its own line')
})

t.test('replay: a directory of recordings replays every call in it', async (t) => {
  const file = await recording(t)
  const dir = path.dirname(file)
  writeFileSync(path.join(dir, 'another.jsonl'), JSON.stringify({ at: 1, event: { type: 'session_start', session: { id: 'another' } }, reply: [] }) + '\n')
  writeFileSync(path.join(dir, 'notes.txt'), 'not a recording')
  const io = memoryIo(flows)
  t.equal(await runCli(['replay', dir, 'menu.cjs'], io), EXIT.differs)
  t.match(io.out(), /^call another, event 1: session_start\n/)
  t.match(io.out(), /2 calls, 5 events: 1 reply differs from the recording\n$/)
  const empty = memoryIo(flows)
  const none = t.testdir({ 'notes.txt': 'nothing' })
  t.equal(await runCli(['replay', none, 'menu.cjs'], empty), EXIT.error)
  t.equal(empty.err(), `fastify-ai-flow: ${none} holds no .jsonl recordings\n`)
})

t.test('replay: a recording that cannot be read is exit code 2', async (t) => {
  const dir = t.testdir({ 'bad.jsonl': '{"at":1}\n' })
  const missing = memoryIo(flows)
  t.equal(await runCli(['replay', path.join(dir, 'none.jsonl'), 'menu.cjs'], missing), EXIT.error)
  t.match(missing.err(), /^fastify-ai-flow: cannot read .*none\.jsonl: ENOENT/)
  const bad = memoryIo(flows)
  t.equal(await runCli(['replay', path.join(dir, 'bad.jsonl'), 'menu.cjs'], bad), EXIT.error)
  t.match(bad.err(), /bad\.jsonl: line 1 has an invalid event: event must be a JSON object/)
})

t.test('replay: a failing flow and a single difference are worded as such', async (t) => {
  const dir = t.testdir()
  const file = path.join(dir, 'one.jsonl')
  writeFileSync(file, JSON.stringify({ at: 1, event: { type: 'user_speak', text: 'x', session: { id: 'one' } }, reply: [], state: 'welcome' }) + '\n')
  const io = memoryIo(flows)
  t.equal(await runCli(['replay', file, 'echo.cjs'], io), EXIT.differs)
  t.match(io.out(), /state: recorded welcome, replayed \{\}/)
  t.match(io.out(), /1 call, 1 event: 1 reply differs from the recording\n$/)
})

t.test('the replay report marks states that cannot be seen, and counts in words', async (t) => {
  const event = { type: 'session_end', session: { id: 'x' } }
  const lines = replayReport({
    calls: 2,
    events: 1,
    differences: [{ sessionId: 'x', position: 1, event, recorded: [], replayed: [{ type: 'hangup', session_id: 'x' }], recordedState: undefined, replayedState: undefined }],
    modelDifferences: [],
    toolDifferences: [],
    errors: [{ sessionId: 'x', err: new Error('broke') }],
    versions: [{ sessionId: 'x', recorded: 'v1', replayed: 'v2' }]
  }, paint(false))
  t.same(lines, [
    'call x, event 1: session_end',
    '    recorded: (no actions)',
    '    replayed: {"type":"hangup"}',
    '    state: recorded -, replayed -',
    'call x: the flow failed: broke',
    'call x: recorded with flow version v1, replayed with v2',
    '2 calls, 1 event: 1 reply differs from the recording'
  ])
})
