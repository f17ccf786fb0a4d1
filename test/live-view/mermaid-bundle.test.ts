import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { findMermaid, mermaidPlaces } from '../../lib/live-view/mermaid-bundle'

t.test("Mermaid's browser bundle is found in the installed package, with its integrity hash", async (t) => {
  const bundle = findMermaid()
  t.ok(bundle !== undefined)
  const script = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'))
  t.ok(bundle?.script.equals(script), 'the very file')
  t.equal(bundle?.integrity, `sha384-${createHash('sha384').update(script).digest('base64')}`)
  t.same(mermaidPlaces(), [path.join(process.cwd(), 'package.json'), require.resolve('../../lib/live-view/mermaid-bundle')])
})

t.test('places without it are passed over; none at all gives undefined', async (t) => {
  // Outside the repository, whose node_modules has Mermaid.
  const nowhere = mkdtempSync(path.join(tmpdir(), 'no-mermaid-'))
  t.teardown(() => { rmSync(nowhere, { recursive: true, force: true }) })
  writeFileSync(path.join(nowhere, 'package.json'), '{}')
  t.ok(findMermaid([path.join(nowhere, 'package.json')]) === undefined)
  t.ok(findMermaid([path.join(nowhere, 'package.json'), __filename]) !== undefined)
})
