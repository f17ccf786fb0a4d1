import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { startExample } from '../fixtures/example-server'

const root = path.join(__dirname, '..', '..')

t.test('the live view example, run as the README says, serves the page and the calls to holders of its token', async (t) => {
  const token = 'a-long-random-live-view-token'
  const { url } = await startExample(t, 'examples/live-view.ts', { LIVE_VIEW_TOKEN: token })
  t.equal((await fetch(`${url}/live`)).status, 200)
  t.equal((await fetch(`${url}/live/calls`)).status, 401)
  const calls = await fetch(`${url}/live/calls`, { headers: { authorization: `Bearer ${token}` } })
  t.match(await calls.json(), { calls: [], total: 0, flow: { id: 'ivr', mermaid: /^stateDiagram-v2/ } })
})

t.test('without LIVE_VIEW_TOKEN the example refuses to start', async (t) => {
  const child = spawn('env', ['-i', `PATH=${process.env.PATH}`, process.execPath, '--import', 'tsx', 'examples/live-view.ts'], { cwd: root })
  let errors = ''
  child.stderr.on('data', (chunk) => { errors += String(chunk) })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.not(code, 0)
  t.match(errors, /Set LIVE_VIEW_TOKEN to a long random string/)
})
