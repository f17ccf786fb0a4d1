import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'

const root = path.join(__dirname, '..', '..')

t.test('the offline inspector example prints an address whose page and calls answer, with nothing from elsewhere', async (t) => {
  // `env -i` keeps the server outside tap's coverage: only its behaviour is checked here.
  const child = spawn('env', ['-i', `PATH=${process.env.PATH}`, 'PORT=0', process.execPath, '--import', 'tsx', 'examples/inspect-server.ts'], { cwd: root })
  t.teardown(() => { child.kill() })
  const printed = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += String(chunk)
      if (output.includes('Calls: ')) resolve(output)
    })
    child.once('exit', (code) => { reject(new Error(`the example exited with ${String(code)}: ${output}`)) })
  })
  const [, url, token] = /Inspector: open (http:\/\/127\.0\.0\.1:\d+)\/inspect#token=([\w-]{32})\n/.exec(printed) ?? []
  t.type(token, 'string', `a token made for the run in: ${printed}`)
  t.match(printed, `Calls: npx fastify-ai-flow simulate ${url}/webhook`)
  const page = await fetch(`${url}/inspect`)
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, '<script src="/inspect/mermaid.js" integrity="sha384-', 'Mermaid comes from this server')
  t.notMatch(html, /https?:\/\//, 'the page names no other server')
  t.match(page.headers.get('content-security-policy'), "default-src 'none'")
  t.equal((await fetch(`${url}/inspect/mermaid.js`)).status, 200)
  const calls = await fetch(`${url}/inspect/calls`, { headers: { authorization: `Bearer ${token}` } })
  t.match(await calls.json(), { calls: [], total: 0, flow: { id: 'ivr' } })
})
