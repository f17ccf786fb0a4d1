import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'

const root = path.join(__dirname, '..', '..')

t.test('the live view example, run as the README says, serves the page and the calls to holders of its token', async (t) => {
  const token = 'a-long-random-live-view-token'
  // `env -i` keeps the server outside tap's coverage: only its behaviour is checked here.
  const child = spawn('env', ['-i', `PATH=${process.env.PATH}`, `LIVE_VIEW_TOKEN=${token}`, 'PORT=0',
    process.execPath, '--import', 'tsx', 'examples/live-view.ts'], { cwd: root })
  t.teardown(() => { child.kill() })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += String(chunk)
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (listening !== null) resolve(listening[1])
    })
    child.once('exit', (code) => { reject(new Error(`the example exited with ${String(code)}: ${output}`)) })
  })
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
