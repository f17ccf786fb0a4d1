import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildApp, event, post } from '../fixtures/helpers'
import { flow as menuFlow } from '../fixtures/flows/menu'

// npm test builds dist/ before tap runs: these run the built CLI as a user would.
// `env -i` keeps the child outside tap's coverage, which would otherwise map
// dist/ back onto lib/ through the source maps; lib/cli is covered in-process.
const root = path.join(__dirname, '..', '..')
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const bin = path.join(root, pkg.bin['fastify-ai-flow'])
const flows = path.join(__dirname, '..', 'fixtures', 'flows')

interface Cli {
  write (line: string): void
  end (): void
  /** Resolves once stdout holds `text`. */
  waitFor (text: string): Promise<void>
  done: Promise<{ code: number | null, stdout: string, stderr: string }>
}

function cli (args: string[], cwd = flows): Cli {
  const child = spawn('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, bin, ...args], { cwd })
  let stdout = ''
  let stderr = ''
  const waiting = new Set<() => void>()
  child.stdout.on('data', (chunk) => { stdout += String(chunk); for (const check of waiting) check() })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  return {
    write: (line) => { child.stdin.write(line + '\n') },
    end: () => { child.stdin.end() },
    waitFor: (text) => new Promise((resolve) => {
      const check = (): void => { if (stdout.includes(text)) { waiting.delete(check); resolve() } }
      waiting.add(check)
      check()
    }),
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
  }
}

t.test('the bin named in package.json is the built CLI, runnable by node', async (t) => {
  t.ok(existsSync(bin), `${bin} exists: run npm run build first`)
  t.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/)
  t.equal(statSync(bin).mode & 0o111, 0o111, 'executable, so that npx runs it in a clone of the repository too')
  const run = cli(['--version'])
  run.end()
  t.same(await run.done, { code: 0, stdout: `${pkg.version}\n`, stderr: '' })
})

t.test('simulate answers each line typed on stdin before the next one comes', async (t) => {
  const run = cli(['simulate', 'menu.ts'])
  await run.waitFor('  state: menu\n')
  run.write('hello')
  await run.waitFor('assistant: You said: hello. Please press 1 or 2.\n')
  run.write('/s')
  await run.waitFor('assistant: Are you still there?\n')
  run.write('2')
  const { code, stdout, stderr } = await run.done
  t.equal(code, 0)
  t.equal(stderr, '')
  t.match(stdout, /caller presses 2\nassistant: Goodbye\.\n\[hangs up\]\n {2}state: bye\nthe service ends the call\nThe call has ended\.\n$/)
  t.notMatch(stdout, '\u001b[', 'no colour in a pipe')
})

t.test('simulate hangs up when its input ends', async (t) => {
  const run = cli(['simulate', 'echo.cjs'])
  run.write('hi there')
  run.end()
  const { code, stdout } = await run.done
  t.equal(code, 0)
  t.match(stdout, /caller: hi there\nassistant: You said hi there\n[\s\S]*caller hangs up\nThe call has ended\.\n$/)
})

t.test('diagram prints the Mermaid source of a TypeScript flow', async (t) => {
  const run = cli(['diagram', 'menu.ts'])
  run.end()
  const { code, stdout } = await run.done
  t.equal(code, 0)
  t.match(stdout, /^stateDiagram-v2\n[\s\S]*menu --> sales : dtmf_received \[guard\]\n/)
})

t.test('replay exits with 0 when the replies match, 1 when they differ, 2 when it cannot run', async (t) => {
  const dir = t.testdir()
  const { app } = await buildApp({ flow: menuFlow, record: { dir } })
  await post(app, event('session_start', 'proc'))
  await post(app, event('dtmf_received', 'proc', { digit: '2' }))
  await app.close()
  const file = path.join(dir, 'proc.jsonl')
  const same = cli(['replay', file, 'menu.ts'])
  same.end()
  t.same(await same.done, { code: 0, stdout: '1 call, 2 events: every reply matches the recording\n', stderr: '' })
  const other = cli(['replay', file, 'echo.cjs'])
  other.end()
  const differs = await other.done
  t.equal(differs.code, 1)
  t.match(differs.stdout, /2 replies differ from the recording\n$/)
  const missing = cli(['replay', file, 'nothing-here.ts'])
  missing.end()
  t.same(await missing.done, { code: 2, stdout: '', stderr: 'fastify-ai-flow: no such file: nothing-here.ts\n' })
})

t.test('the testing subpath loads from the built package', async (t) => {
  const run = spawn('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, '-e',
    "const m = require('fastify-ai-flow/testing'); process.stdout.write([typeof m.simulateCall, typeof m.runScript, typeof m.replayRecording].join())"], { cwd: root })
  let out = ''
  run.stdout.on('data', (chunk) => { out += String(chunk) })
  await new Promise((resolve) => run.on('close', resolve))
  t.equal(out, 'function,function,function')
})
