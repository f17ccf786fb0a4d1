import t from 'tap'
import { execFileSync } from 'node:child_process'
import path from 'node:path'

// npm test builds dist/ before tap runs; this proves the built package loads both ways.
// `env -i` starts the loaders outside tap's coverage, which would otherwise map
// dist/ back onto lib/ through the source maps as if it were tested code.
const root = path.join(__dirname, '..')
const names = ['fastifyAiFlow', 'setupFlow', 'speak', 'MemoryStore', 'validateEvent', 'AiFlowEventSchema']
const kinds = ['function', 'function', 'function', 'function', 'function', 'object']

function load (loader: string): unknown {
  const file = path.join(__dirname, 'fixtures', loader)
  const args = ['-i', `PATH=${process.env.PATH}`, process.execPath, file, JSON.stringify(names)]
  return JSON.parse(execFileSync('env', args, { cwd: root, encoding: 'utf8' }))
}

t.test('require() loads the built package', async (t) => {
  t.same(load('load-cjs.cjs'), kinds)
})

t.test('import loads the built package; its default export registers with Fastify', async (t) => {
  t.same(load('load-esm.mjs'), [kinds, 0])
})

t.test('the main entry never loads ai; fastify-ai-flow/ai-sdk does, both ways', async (t) => {
  const loaded = `Object.keys(require.cache).some((file) => file.includes('${path.sep}node_modules${path.sep}ai${path.sep}'))`
  const cjs = `require('fastify-ai-flow'); const before = ${loaded}
    const { aiSdkModel } = require('fastify-ai-flow/ai-sdk'); console.log(JSON.stringify([before, ${loaded}, typeof aiSdkModel]))`
  const esm = "import { aiSdkModel } from 'fastify-ai-flow/ai-sdk'; console.log(JSON.stringify(typeof aiSdkModel))"
  const node = (args: string[]): unknown => JSON.parse(execFileSync('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, ...args], { cwd: root, encoding: 'utf8' }))
  t.same(node(['-e', cjs]), [false, true, 'function'])
  t.equal(node(['--input-type=module', '-e', esm]), 'function')
})
