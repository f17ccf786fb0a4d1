import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { eventSchemas } from '../../lib/protocol'
import { declaredEventTypes } from '../../lib/cli/declared-events'

// TypeScript builds a program of the flow and all it imports: seconds each time, more on a busy machine.
t.setTimeout(120_000)

const flows = path.join(__dirname, '..', 'fixtures', 'flows')

t.test('TypeScript tells the events a flow declares in types.events, with the protocol\'s, where the file really is', async (t) => {
  // Reached through a symbolic link: its project's tsconfig.json and node_modules are found from where it is.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'declared-events-link-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  symlinkSync(path.join(__dirname, '..', '..', 'examples'), path.join(dir, 'examples'))
  const events = declaredEventTypes(path.join(dir, 'examples', 'custom-event-flow.ts'), ['flow', 'default'])
  t.same(events?.sort(), [...Object.keys(eventSchemas), 'booking_confirmed'].sort())
})

t.test('nothing is declared for JavaScript, without TypeScript, or when any event will do', async (t) => {
  t.equal(declaredEventTypes(path.join(flows, 'menu.cjs'), ['flow']), undefined, 'a JavaScript flow')
  const nowhere = path.join(os.tmpdir(), 'a-project-without-typescript', 'flow.ts')
  t.equal(declaredEventTypes(path.join(flows, 'default.ts'), ['flow'], [nowhere]), undefined, 'TypeScript is not installed')
  // Outside any project: no tsconfig.json, and xstate does not resolve, so the type is no union of names.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'declared-events-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(path.join(dir, 'alone.ts'), "import { createMachine } from 'xstate'\nexport const flow = createMachine({})\n")
  t.equal(declaredEventTypes(path.join(dir, 'alone.ts'), ['flow']), undefined, 'a flow outside a project')
  writeFileSync(path.join(dir, 'tsconfig.json'), '{ not json')
  t.equal(declaredEventTypes(path.join(dir, 'alone.ts'), ['flow']), undefined, 'a tsconfig.json TypeScript cannot read')
})
