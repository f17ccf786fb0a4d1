import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadFlow, pickFlow, registerTypeScript } from '../../lib/cli/load-flow'
import { UsageError } from '../../lib/cli/usage-error'

const cwd = path.join(__dirname, '..', 'fixtures', 'flows')

t.test('loads a flow from CommonJS, ES module and TypeScript files', async (t) => {
  t.equal((await loadFlow('echo.cjs', { cwd })).id, 'echo-js', 'the flow export')
  t.equal((await loadFlow('default.mjs', { cwd })).id, 'default-esm', 'the default export of an ES module')
  // A TypeScript flow that imports lib/ is loaded in a child process (process.test.ts):
  // here, tsx would load lib/ a second time and garble the coverage report.
  t.equal((await loadFlow('default.ts', { cwd })).id, 'default-ts', 'TypeScript through tsx, its default export')
  t.equal((await loadFlow(path.join(cwd, 'named.cjs'), { cwd: os.tmpdir(), exportName: 'support' })).id, 'support', 'an absolute path, a named export')
})

t.test('what is wrong is said in one line', async (t) => {
  await t.rejects(loadFlow('missing.ts', { cwd }), new UsageError('no such file: missing.ts'))
  await t.rejects(loadFlow('not-a-flow.cjs', { cwd }), new UsageError(
    'not-a-flow.cjs exports no flow: export the machine as the default export or as "flow", or name its export with --export'))
  await t.rejects(loadFlow('named.cjs', { cwd, exportName: 'helper' }), new UsageError('named.cjs has no machine exported as "helper"'))
  await t.rejects(loadFlow('broken.cjs', { cwd }), { name: 'UsageError', message: 'broken.cjs could not be loaded: this module does not load' })
})

t.test('without tsx anywhere, a TypeScript flow asks for it', async (t) => {
  const nowhere = path.join(os.tmpdir(), 'no-project', 'flow.ts')
  await t.rejects(registerTypeScript(nowhere, [nowhere]), new UsageError(`${nowhere} is TypeScript, and loading it needs tsx: npm install --save-dev tsx`))
})

t.test('the machine among the exports: the named one, or flow, or the default', async (t) => {
  const machine = { root: {}, transition () {} }
  t.equal(pickFlow({ flow: machine }), machine)
  t.equal(pickFlow({ default: { flow: machine } }), machine, 'flow of a CommonJS module imported as ESM')
  t.equal(pickFlow({ default: { default: machine } }), machine, 'default of a CommonJS module imported as ESM')
  t.equal(pickFlow({ default: machine }), machine)
  t.equal(pickFlow({ other: machine }, 'other'), machine)
  t.equal(pickFlow({ default: { other: machine } }, 'other'), machine)
  t.equal(pickFlow({ flow: machine }, 'other'), undefined, 'a name given is the only one looked at')
  t.equal(pickFlow({ flow: { root: {} } }), undefined)
  t.equal(pickFlow({ flow: null }), undefined)
})
