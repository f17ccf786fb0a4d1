import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { blocks, readPage, root, section } from '../fixtures/markdown'

// The README's tsconfig.json, in a new project that has the built package (npm test builds
// dist/ before tap runs) in its node_modules: its entry points resolve, type-check and run.
// `env -i` keeps the compiled project outside tap's coverage.
const run = promisify(execFile)
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const typescript = section(readPage('README.md'), 'typescript')
const tsconfig = JSON.parse(blocks(typescript, 'json')[0])

// Compiling a project that pulls in Fastify's and XState's types takes a while on a busy machine.
t.setTimeout(240_000)

const imports = `import Fastify from 'fastify'
import { createConversationFlow, fastifyAiFlow, hangup } from 'fastify-ai-flow'
import { simulateCall } from 'fastify-ai-flow/testing'
import { RedisStore } from 'fastify-ai-flow/redis'
`

const body = `const flow = createConversationFlow({
  greeting: 'Hello!',
  onDtmf: ({ event }) => event.digit === '9' ? ['Goodbye!', hangup()] : \`You pressed \${event.digit}.\`
})
const app = Fastify()
app.register(fastifyAiFlow, { flow })
const storeClass: typeof RedisStore = RedisStore

const call = simulateCall(flow)
const greeting = await call.start()
const answer = await call.press('9')
console.log(JSON.stringify({ greeting, answer, ended: call.ended, store: typeof storeClass }))
await app.close()
`

/** A new project beside the repository's packages: the package itself, and what the source imports. */
function newProject (t: Test, packageJson: Record<string, unknown>, compilerOptions: Record<string, unknown>): string {
  const dir = t.testdir({
    'package.json': JSON.stringify({ name: 'my-assistant', private: true, ...packageJson }),
    'tsconfig.json': JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, ...compilerOptions } }),
    // Top-level await, as a new ES module project may write it; CommonJS gets it wrapped below.
    src: { 'assistant.ts': packageJson.type === 'module' ? imports + body : `${imports}\nasync function main (): Promise<void> {\n${body}}\nmain().catch(console.error)\n` }
  })
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true })
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'fastify-ai-flow'))
  for (const name of ['fastify', 'xstate', '@types/node']) fs.symlinkSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name))
  return dir
}

async function compile (dir: string): Promise<{ ok: boolean, output: string }> {
  try {
    await run('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, tsc, '-p', dir], { cwd: dir })
    return { ok: true, output: '' }
  } catch (err) {
    return { ok: false, output: String((err as { stdout?: string }).stdout) }
  }
}

const expected = {
  greeting: [{ type: 'speak', text: 'Hello!' }],
  answer: [{ type: 'speak', text: 'Goodbye!' }, { type: 'hangup' }],
  ended: true,
  store: 'function'
}

t.test('the README advises nodenext, strict', async (t) => {
  t.match(tsconfig.compilerOptions, { module: 'nodenext', moduleResolution: 'nodenext', strict: true })
  t.match(typescript, /"module": "preserve"` and\n`"moduleResolution": "bundler"`/)
})

for (const type of ['commonjs', 'module']) {
  t.test(`a new ${type} project with the README's tsconfig compiles against every entry point and runs`, async (t) => {
    const dir = newProject(t, { type }, {})
    const { ok, output } = await compile(dir)
    t.equal(output, '', 'tsc reports nothing')
    t.ok(ok, 'tsc succeeds')
    const { stdout } = await run('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, path.join(dir, 'dist', 'assistant.js')], { cwd: dir })
    t.same(JSON.parse(stdout), expected)
  })
}

t.test('the bundler variant the README names type-checks every entry point', async (t) => {
  const dir = newProject(t, { type: 'module' }, { module: 'preserve', moduleResolution: 'bundler', noEmit: true })
  const { ok, output } = await compile(dir)
  t.equal(output, '', 'tsc reports nothing')
  t.ok(ok, 'tsc succeeds')
})
