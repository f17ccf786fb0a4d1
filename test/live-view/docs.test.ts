import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { flow } from '../../examples/ivr-menu'
import { runCli } from '../../lib/cli/program'
import { memoryIo } from '../fixtures/cli-io'
import { buildApp, event, post } from '../fixtures/helpers'
import { asUserSees, blocks, readPage, root, snippets } from '../fixtures/markdown'

const doc = readPage('docs/live-view.md')
const shell = blocks(doc, 'sh').map((body) => body.trim())
const token = 'try-the-live-view-locally'

t.test('every TypeScript block of docs/live-view.md is an example file, importing the package by name', async (t) => {
  const code = snippets(doc)
  t.ok(code.length > 0)
  for (const { file, code: body } of code) {
    t.type(file, 'string', 'the block names its file')
    t.equal(body, asUserSees(file as string), String(file))
  }
})

t.test('every shell block runs something that is there', async (t) => {
  t.equal(shell.length, 6)
  const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  for (const command of shell) {
    const files = [...command.matchAll(/ ((?:examples|test)\/[\w/.-]+\.ts)/g)].map(([, file]) => file)
    for (const file of files) t.ok(fs.existsSync(path.join(root, file)), `${file} exists`)
    const installed = /^npm install (\S+)$/.exec(command)
    if (installed !== null) t.ok(installed[1] in packageJson.peerDependencies, `${installed[1]} is a peer dependency`)
  }
  t.ok(fs.existsSync(path.join(root, 'docs', 'live-view.png')), 'the picture is there')
  t.match(doc, '](live-view.png)')
})

t.test('the walk-through works: the simulator calls the server, the curl line answers, every route in the table answers', async (t) => {
  const { app } = await buildApp({ flow, liveView: { path: '/live', token } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const local = (command: string): string => command.replaceAll('http://127.0.0.1:3001', url)

  const simulate = shell.find((command) => command.startsWith('npx fastify-ai-flow simulate ')) as string
  const io = memoryIo(root, ['hmm', '3', '/hangup'])
  t.equal(await runCli(local(simulate).split(' ').slice(2), io), 0, io.err())
  t.match(io.out(), 'We are open Monday to Friday')

  await post(app, event('session_start', 'doc-call'))
  const curl = local(shell.find((command) => command.startsWith('curl ')) as string)
  const [, address, header] = /^curl -s (\S+) -H '([^']+)'$/.exec(curl) ?? []
  const [name, value] = header.split(': ')
  const answer = await fetch(address, { headers: { [name]: value } })
  t.equal(answer.status, 200)
  t.match(await answer.json(), { calls: [{ id: 'doc-call', party: undefined }], total: 1 })

  const routes = [...doc.matchAll(/^\| `GET (<path>[^`]*)` \| (yes|no) \|/gm)].map(([, route, needsToken]) => ({ route, needsToken: needsToken === 'yes' }))
  t.equal(routes.length, 6)
  for (const { route, needsToken } of routes) {
    const address = route.replace('<path>', '/live').replace('<id>', 'doc-call')
    const response = await fetch(url + address, { headers: { authorization: `Bearer ${token}` } })
    t.equal(response.status, 200, route)
    // The stream stays open until the server closes: read on, so that it can.
    response.arrayBuffer().catch(() => {})
    if (needsToken) t.equal((await app.inject(address)).statusCode, 401, `${route} needs the token`)
  }
})
