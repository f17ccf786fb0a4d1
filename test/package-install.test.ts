import t from 'tap'
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

/*
 * The package as a user gets it. The repository's files, without dist/, are
 * packed by npm as an install from a git URL does it (so `prepare` must
 * build), and the tarball is installed with npm into a new project in the
 * system's temporary directory, with no node_modules above it and no npm
 * cache, offline. The packages it depends on are the repository's, linked
 * into the project beforehand: npm finds them installed and fetches nothing.
 * The optional peers a subpath needs (ioredis for `/redis`, ai for
 * `/ai-sdk`) are linked as a user of that subpath installs them; a second
 * project has `ai` 7 (the repository's `ai-v7`) as its `ai`.
 */

// A build and an install: minutes on a busy machine.
t.setTimeout(10 * 60_000)

const root = path.join(__dirname, '..')
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const run = promisify(execFile)
const work = mkdtempSync(path.join(tmpdir(), 'fastify-ai-flow-install-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

// Only PATH and a home of the test's own: no user npmrc, no coverage variables from tap.
const env = { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: work }
const npmOffline = ['--offline', '--cache', path.join(work, 'npm-cache'), '--no-audit', '--no-fund', '--loglevel', 'error']

async function sh (cwd: string, command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 })).stdout
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string, stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`)
  }
}

/** The repository's files as a clone has them (tracked, or new and not ignored), without node_modules or dist. */
function copySource (to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  for (const file of listed.split('\0')) {
    // A file deleted in the work tree is still listed until the deletion is staged.
    if (file !== '' && existsSync(path.join(root, file))) cpSync(path.join(root, file), path.join(to, file))
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(to, 'node_modules'), 'dir')
}

/** Links the repository's copy of each package into the project's node_modules; `as` names one that a project has under another name. */
function linkPackages (project: string, names: string[], as: Record<string, string> = {}): void {
  for (const name of names) {
    const at = path.join(project, 'node_modules', name)
    mkdirSync(path.dirname(at), { recursive: true })
    symlinkSync(path.join(root, 'node_modules', as[name] ?? name), at, 'dir')
  }
}

const consumerTs = `import fastify from 'fastify'
import { fastifyAiFlow, setupFlow, speak, type FastifyAiFlowOptions } from 'fastify-ai-flow'
import { simulateCall, TestClock } from 'fastify-ai-flow/testing'
import { RedisStore } from 'fastify-ai-flow/redis'
import { aiSdkModel, type AiSdkModelOptions } from 'fastify-ai-flow/ai-sdk'
import { prometheusMetrics, type PrometheusMetricsOptions } from 'fastify-ai-flow/prometheus'

const aiOptions: AiSdkModelOptions = { name: 'front desk' }
const flow = setupFlow({}).createMachine({ entry: [] })
const options: FastifyAiFlowOptions = { flow, path: '/webhook' }
const metricsOptions: PrometheusMetricsOptions = { path: '/metrics' }
export const app = fastify().register(prometheusMetrics, metricsOptions).register(fastifyAiFlow, options)
export const used = [simulateCall, TestClock, RedisStore, speak('Hello'), aiSdkModel('openai/gpt-4o-mini', aiOptions).name]
`

/**
 * A user of `ai` 7 (an ES module only, so an ES module too): its own mock
 * provider, of its own provider interface, answers through the adapter,
 * which the package's CommonJS loads `ai` 7 into.
 */
const aiV7Consumer = `import { simulateReadableStream } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { aiSdkModel } from 'fastify-ai-flow/ai-sdk'

const provider = new MockLanguageModelV4({
  doStream: async () => ({
    stream: simulateReadableStream({
      chunks: [
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'We are open.' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage: { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } } }
      ]
    })
  })
})
const model = aiSdkModel(provider, { defaults: { providerOptions: { openai: { store: false } } } })
let said = ''
for await (const part of model.stream({ instructions: 'Be brief.', messages: [{ role: 'caller', text: 'Open?' }], tools: [], signal: new AbortController().signal })) {
  if (part.type === 'text') said += part.text
}
console.log(JSON.stringify([model.name, said, provider.doStreamCalls[0].providerOptions]))
`

/** tsconfig settings users commonly have, each of which must find every entry point and its types. */
const resolutions: Array<{ name: string, module: string, moduleResolution: string, files: string[] }> = [
  { name: 'node10', module: 'commonjs', moduleResolution: 'node10', files: ['consumer.ts'] },
  { name: 'node16', module: 'node16', moduleResolution: 'node16', files: ['consumer.ts', 'consumer.mts'] },
  { name: 'nodenext', module: 'nodenext', moduleResolution: 'nodenext', files: ['consumer.ts', 'consumer.mts'] },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler', files: ['consumer.ts'] }
]

t.test('packed from a clone, installed offline into a new project, every entry point loads', async (t) => {
  const source = path.join(work, 'source')
  copySource(source)
  t.notOk(existsSync(path.join(source, 'dist')), 'the clone has no dist/')
  await sh(source, 'npm', ['pack', '--pack-destination', work, ...npmOffline])
  const tarball = path.join(work, `${manifest.name as string}-${manifest.version as string}.tgz`)
  t.ok(existsSync(tarball), 'npm pack built the package (prepare) and packed it')

  const project = path.join(work, 'project')
  const linked = [...Object.keys(manifest.dependencies), 'ioredis', 'ai', '@opentelemetry/api', '@opentelemetry/exporter-prometheus', 'typescript', '@types/node']
  mkdirSync(project)
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'consumer',
    private: true,
    dependencies: Object.fromEntries(linked.map((name) => [name, '*']))
  }))
  linkPackages(project, linked)
  await sh(project, 'npm', ['install', tarball, '--ignore-scripts', ...npmOffline])

  t.test('require() in CommonJS', async (t) => {
    const out = await sh(project, 'node', ['-e', `
      const main = require('fastify-ai-flow')
      const testing = require('fastify-ai-flow/testing')
      const redis = require('fastify-ai-flow/redis')
      const aiSdk = require('fastify-ai-flow/ai-sdk')
      const prometheus = require('fastify-ai-flow/prometheus')
      console.log(JSON.stringify([typeof main.fastifyAiFlow, typeof main.default, typeof testing.simulateCall, typeof redis.RedisStore, typeof aiSdk.aiSdkModel, typeof prometheus.prometheusMetrics]))`])
    t.same(JSON.parse(out), ['function', 'function', 'function', 'function', 'function', 'function'])
  })

  t.test('import in an ES module, with named imports; the plugin registers', async (t) => {
    const out = await sh(project, 'node', ['--input-type=module', '-e', `
      import plugin, { setupFlow } from 'fastify-ai-flow'
      import { simulateCall } from 'fastify-ai-flow/testing'
      import { RedisStore } from 'fastify-ai-flow/redis'
      import { aiSdkModel } from 'fastify-ai-flow/ai-sdk'
      import { prometheusMetrics } from 'fastify-ai-flow/prometheus'
      import Fastify from 'fastify'
      const app = Fastify()
      await app.register(prometheusMetrics)
      await app.register(plugin, { flow: setupFlow({}).createMachine({}) })
      await app.ready()
      const metrics = await app.inject('/metrics')
      console.log(JSON.stringify([typeof simulateCall, typeof RedisStore, typeof aiSdkModel, app.aiFlow.liveCalls, metrics.statusCode]))
      await app.close()`])
    t.same(JSON.parse(out), ['function', 'function', 'function', 0, 200])
  })

  t.test('TypeScript finds every entry point and its types under each moduleResolution', async (t) => {
    writeFileSync(path.join(project, 'consumer.ts'), consumerTs)
    writeFileSync(path.join(project, 'consumer.mts'), consumerTs)
    for (const { name, module, moduleResolution, files } of resolutions) {
      const config = `tsconfig.${name}.json`
      writeFileSync(path.join(project, config), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module, moduleResolution, target: 'es2022', types: ['node'], esModuleInterop: true, skipLibCheck: true },
        files
      }))
      const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc')
      await t.resolves(sh(project, 'node', [tsc, '-p', config]), `moduleResolution ${name}`)
    }
  })

  t.test('with ai 7 as its ai, the adapter runs it, imported or required, and TypeScript takes 7\'s types', async (t) => {
    const project7 = path.join(work, 'project-ai7')
    mkdirSync(project7)
    writeFileSync(path.join(project7, 'package.json'), JSON.stringify({
      name: 'consumer-ai7',
      private: true,
      dependencies: Object.fromEntries(linked.map((name) => [name, '*']))
    }))
    linkPackages(project7, linked, { ai: 'ai-v7' })
    await sh(project7, 'npm', ['install', tarball, '--ignore-scripts', ...npmOffline])
    const answered = ['mock-provider/mock-model-id', 'We are open.', { openai: { store: false } }]

    const required = await sh(project7, 'node', ['-e', `
      const { aiSdkModel } = require('fastify-ai-flow/ai-sdk')
      const { MockLanguageModelV4 } = require('ai/test')
      console.log(JSON.stringify([require('ai/package.json').version.split('.')[0], typeof aiSdkModel, aiSdkModel(new MockLanguageModelV4()).name]))`])
    t.same(JSON.parse(required), ['7', 'function', 'mock-provider/mock-model-id'], 'require() of the adapter loads ai 7')

    // The consumer has no type annotations: node runs it as JavaScript, TypeScript checks it as it is.
    writeFileSync(path.join(project7, 'consumer.mjs'), aiV7Consumer)
    t.same(JSON.parse(await sh(project7, 'node', ['consumer.mjs'])), answered, 'an ES module streams through the adapter on ai 7, its provider options passed')

    writeFileSync(path.join(project7, 'consumer.mts'), aiV7Consumer)
    const tsc = path.join(project7, 'node_modules', 'typescript', 'bin', 'tsc')
    for (const [module, moduleResolution] of [['nodenext', 'nodenext'], ['node16', 'node16'], ['esnext', 'bundler']]) {
      const config = `tsconfig.${moduleResolution}.json`
      writeFileSync(path.join(project7, config), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module, moduleResolution, target: 'es2022', types: ['node'], skipLibCheck: true },
        files: ['consumer.mts']
      }))
      await t.resolves(sh(project7, 'node', [tsc, '-p', config]), `moduleResolution ${moduleResolution}`)
    }
  })

  t.test('the CLI runs through npx', async (t) => {
    const help = await sh(project, 'npm', ['exec', ...npmOffline, '--', 'fastify-ai-flow', '--help'])
    t.match(help, /^Usage: fastify-ai-flow /)
    t.match(help, /simulate/)
    t.equal((await sh(project, 'npx', [...npmOffline, 'fastify-ai-flow', '--version'])).trim(), manifest.version)
  })
})
