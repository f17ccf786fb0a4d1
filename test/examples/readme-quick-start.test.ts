import t, { type Test } from 'tap'
import { startExample } from '../fixtures/example-server'
import { blocks, readPage, section } from '../fixtures/markdown'

// The Quick start's requests, sent as the README gives them to the demo server as `npm start`
// runs it, and its answers compared with what the README shows.
const quickStart = section(readPage('README.md'), 'quick-start')
const token = 'a-token-for-the-quick-start-test'

interface Request { url: string, headers: Record<string, string>, body: string }

/** A `curl -s URL -H '…' -d '…'` command of the README, as fetch's arguments. */
function parseCurl (command: string): Request {
  const line = command.replace(/\\\n\s*/g, ' ').trim()
  const url = /^curl -s (\S+)/.exec(line)?.[1]
  const body = / -d '([^']*)'/.exec(line)?.[1]
  if (url === undefined || body === undefined) throw new Error(`not a curl -s URL … -d '…' command: ${line}`)
  const headers: Record<string, string> = {}
  for (const [, quoted, doubleQuoted] of line.matchAll(/ -H (?:'([^']*)'|"([^"]*)")/g)) {
    const [name, ...value] = (quoted ?? doubleQuoted).split(':')
    headers[name.trim().toLowerCase()] = value.join(':').trim().replace('$AI_FLOW_TOKEN', token)
  }
  return { url, headers, body }
}

/** The curl commands and, for each, the JSON block that follows it. */
function exchanges (): Array<{ request: Request, shown: unknown }> {
  const found = [...quickStart.matchAll(/```sh\n(curl [\s\S]*?)```[\s\S]*?```json\n([\s\S]*?)```/g)]
  return found.map(([, command, answer]) => ({ request: parseCurl(command), shown: JSON.parse(answer) }))
}

/** The demo server as `npm start` runs it, with the token set. */
async function startDemo (t: Test): Promise<string> {
  return (await startExample(t, 'examples/server.ts', { AI_FLOW_TOKEN: token })).url
}

t.test('the Quick start runs npm start and npm test, and says what AI_FLOW_TOKEN does', async (t) => {
  const commands = blocks(quickStart, 'sh')
  t.match(commands[0], /^npm install && npm start .*\nnpm test /)
  t.match(commands[1], /^export AI_FLOW_TOKEN=\S+\nnpm start\n$/)
  t.match(quickStart, /`AI_FLOW_TOKEN`[^.]*`X-API-TOKEN`/)
  t.same(JSON.parse(readPage('package.json')).scripts.start, 'tsx examples/server.ts', 'npm start runs the demo server')
})

t.test("the Quick start's requests get, from the demo server, the answers it shows", async (t) => {
  const shown = exchanges()
  t.same(shown.map(({ request }) => JSON.parse(request.body).type), ['session_start', 'dtmf_received', 'dtmf_received'])
  const base = await startDemo(t)
  for (const { request, shown: answer } of shown) {
    t.equal(request.headers['x-api-token'], token, 'the request carries the token')
    const url = request.url.replace('http://127.0.0.1:3000', base)
    t.not(url, request.url, 'the README calls the demo on port 3000')
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body })
    t.same(await response.json(), answer, `${request.body.slice(0, 40)}… is answered as shown`)
  }
})

t.test('without the token the demo server refuses the same request', async (t) => {
  const [{ request }] = exchanges()
  const base = await startDemo(t)
  const { 'x-api-token': _, ...headers } = request.headers
  const response = await fetch(request.url.replace('http://127.0.0.1:3000', base), { method: 'POST', headers, body: request.body })
  t.equal(response.status, 401)
})
