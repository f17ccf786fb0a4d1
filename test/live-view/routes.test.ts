import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { flow } from '../../examples/ivr-menu'
import { flow as pinCheck } from '../../examples/pin-check'
import { toMermaid } from '../../lib/tools/mermaid'
import { pageScript } from '../../lib/live-view/page-script'
import { findMermaid, type MermaidBundle } from '../../lib/live-view/mermaid-bundle'
import { MemoryStore } from '../../lib'
import { SessionRegistry } from '../../lib/sessions'
import { liveViewRoutes } from '../../lib/live-view/routes'
import { buildApp, event, post } from '../fixtures/helpers'

const token = 'a-live-view-token-for-tests'
const auth = { authorization: `Bearer ${token}` }
const caller = (id: string) => ({ ...event('session_start', id), session: { id, direction: 'inbound', from_phone_number: '4915790000123', phone_number: '4921155660' } })

t.test('off by default', async (t) => {
  const { app } = await buildApp({ flow })
  t.teardown(() => app.close())
  t.equal((await app.inject('/live')).statusCode, 404)
})

t.test('the page is served to anyone, holds no data, and may run only its own script', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  await post(app, caller('a-call-in-progress'))
  const response = await app.inject('/live')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/html/)
  t.match(response.body, /<title>Live calls<\/title>/)
  t.notMatch(response.body, /a-call-in-progress|4915790000123/, 'no call in the page itself')
  const scriptHash = createHash('sha256').update(pageScript).digest('base64')
  const bundle = findMermaid() as MermaidBundle
  t.match(response.headers['content-security-policy'], `script-src 'sha256-${scriptHash}' '${bundle.integrity}';`, 'its own script, and Mermaid by its hash: nothing else')
  t.match(response.headers['content-security-policy'], "default-src 'none'")
  t.match(response.body, `<script src="/live/mermaid.js" integrity="${bundle.integrity}"></script>`)
  t.match(response.headers['content-security-policy'], "connect-src 'self'")
  t.equal(response.headers['cache-control'], 'no-store')
  t.equal(response.headers['referrer-policy'], 'no-referrer')
})

t.test('the data needs the live view token as a bearer token', async (t) => {
  const { app, logs } = await buildApp({ flow, token: 'the-webhook-token', liveView: { token } })
  t.teardown(() => app.close())
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${token}` }, { authorization: 'Bearer' }, { 'x-api-token': 'the-webhook-token' }]) {
    for (const url of ['/live/calls', '/live/calls/a-call', '/live/stream', '/live/mermaid']) {
      const response = await app.inject({ url, headers })
      t.equal(response.statusCode, 401, `${url} with ${JSON.stringify(headers)}`)
      t.equal(response.json().code, 'FST_AIFLOW_LIVE_VIEW_UNAUTHORIZED')
    }
  }
  t.ok(logs.some((line) => line.msg === 'refused a live view request with a missing or wrong token' && line.tokenSent === true))
  t.ok(logs.every((line) => !JSON.stringify(line).includes(token)), 'the token is never logged')
})

t.test('the calls: most recent first, where each is, numbers hidden', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  const empty = (await app.inject({ url: '/live/calls', headers: auth })).json()
  t.same(empty.calls, [])
  t.equal(empty.total, 0)
  t.same(empty.flow, { id: 'ivr', mermaid: toMermaid(flow) })
  await post(app, caller('c1'))
  await post(app, caller('c2'))
  await post(app, event('dtmf_received', 'c1', { digit: '9' }))
  const { calls, total } = (await app.inject({ url: '/live/calls', headers: auth })).json()
  t.equal(total, 2)
  t.same(calls.map((call: { id: string }) => call.id), ['c1', 'c2'])
  t.match(calls[0], { status: 'active', direction: 'inbound', party: '•••123' })
  t.same(calls[0].states, ['main.listening.noInput.none', 'main.listening.noMatch.reprompt1'])
  t.same(calls[0].active, [
    'main', 'ivr.main.listening', 'ivr.main.listening.noInput', 'ivr.main.listening.noInput.none',
    'ivr.main.listening.noMatch', 'ivr.main.listening.noMatch.reprompt1'
  ], "XState ids: the fragment's own id, then paths from the machine")
})

t.test('the Mermaid diagram, highlighted for one call', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  await post(app, caller('c1'))
  const plain = await app.inject({ url: '/live/mermaid', headers: auth })
  t.equal(plain.body, toMermaid(flow))
  t.match(plain.headers['content-type'], /^text\/plain/)
  const highlighted = await app.inject({ url: '/live/mermaid?call=c1', headers: auth })
  t.equal(highlighted.body, toMermaid(flow, { highlight: { main: { listening: { noInput: 'none', noMatch: 'none' } } } }))
  const unknown = await app.inject({ url: '/live/mermaid?call=nobody', headers: auth })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { code: 'FST_AIFLOW_UNKNOWN_CALL', message: 'No live call nobody' })
  t.equal((await app.inject({ url: '/live/mermaid?call=', headers: auth })).statusCode, 400)
})

t.test("Mermaid's bundle is served from the installed package, to anyone, for an hour", async (t) => {
  const { app } = await buildApp({ flow, prefix: '/ai', liveView: { token } })
  t.teardown(() => app.close())
  const page = await app.inject('/ai/live')
  t.match(page.body, '<script src="/ai/live/mermaid.js" integrity="sha384-', 'the page names it under the prefix')
  const response = await app.inject('/ai/live/mermaid.js')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/javascript/)
  t.equal(response.headers['cache-control'], 'public, max-age=3600')
  t.ok(response.rawPayload.equals((findMermaid() as MermaidBundle).script), "the installed package's file")
})

t.test('one call as the inspector shows it: transcript, context with numbers hidden, its diagram', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  t.teardown(() => app.close())
  await post(app, caller('c1'))
  await post(app, event('user_speak', 'c1', { text: '<script>alert(1)</script>' }))
  const response = await app.inject({ url: '/live/calls/c1', headers: auth })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['cache-control'], 'no-store')
  const detail = response.json()
  t.match(detail.call, { id: 'c1', party: '•••123', states: ['main.listening.noInput.none', 'main.listening.noMatch.reprompt1'] })
  t.match(detail.transcript, [{ from: 'call', kind: 'session_start' }, { from: 'us', kind: 'speak' }, { from: 'us', kind: 'speak' },
    { from: 'caller', kind: 'said', text: '<script>alert(1)</script>' }, { from: 'us', kind: 'speak', text: /^Sorry, I did not get that/ }])
  t.equal(detail.transcript.length, 5)
  t.match(detail.context, '"from_phone_number": "•••123"')
  t.notMatch(detail.context, '4915790000123')
  t.same(detail.timers, [], 'the menu waits for the service, not for a delay of its own')
  t.equal(detail.mermaid, toMermaid(flow, { highlight: { main: { listening: { noInput: 'none', noMatch: 'reprompt1' } } } }))
  const unknown = await app.inject({ url: '/live/calls/nobody', headers: auth })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { code: 'FST_AIFLOW_UNKNOWN_CALL', message: 'No live call nobody' })
  await post(app, event('session_end', 'c1'))
  t.equal((await app.inject({ url: '/live/calls/c1', headers: auth })).statusCode, 404, 'an ended call is gone')
})

t.test("a call's pending delays come from its record", async (t) => {
  const { app } = await buildApp({ flow: pinCheck, liveView: { token } })
  t.teardown(() => app.close())
  await post(app, caller('p1'))
  const before = Date.now()
  await post(app, event('dtmf_received', 'p1', { digit: '4' }))
  const { timers } = (await app.inject({ url: '/live/calls/p1', headers: auth })).json()
  t.match(timers, [{ event: 'xstate.after.interDigit.digitCollector.collecting', actor: 'pin.digits' }])
  t.ok(timers[0].dueAt >= before + 4000 && timers[0].dueAt <= Date.now() + 4000, 'due 4 s after the key')
})

t.test('a recording and the live view both hear every turn', async (t) => {
  const lines: string[] = []
  const { app } = await buildApp({ flow, liveView: { token }, record: { stream: { write: (line: string) => lines.push(line) } } })
  t.teardown(() => app.close())
  await post(app, caller('c1'))
  await post(app, event('dtmf_received', 'c1', { digit: '3' }))
  t.same(lines.map((line) => JSON.parse(line).event.type), ['session_start', 'dtmf_received'])
  const { transcript } = (await app.inject({ url: '/live/calls/c1', headers: auth })).json()
  t.same(transcript.filter((line: { from: string }) => line.from !== 'us').map((line: { kind: string }) => line.kind), ['session_start', 'key'])
})

t.test('without Mermaid installed the page still works: no bundle, a warning, the diagram as source', async (t) => {
  const nowhere = mkdtempSync(path.join(tmpdir(), 'no-mermaid-'))
  writeFileSync(path.join(nowhere, 'package.json'), '{}')
  const warnings: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { warnings.push(JSON.parse(line).msg) } } } })
  const registry = new SessionRegistry({ flow, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log: app.log })
  await app.register(liveViewRoutes, { path: '/live', token, registry, flow, mermaidFrom: [path.join(nowhere, 'package.json')] })
  t.teardown(async () => { await app.close(); await registry.close(); rmSync(nowhere, { recursive: true, force: true }) })
  const page = await app.inject('/live')
  t.notMatch(page.body, 'mermaid.js')
  t.match(page.headers['content-security-policy'], /script-src 'sha256-[^' ]+';/, 'only its own script may run')
  t.equal((await app.inject('/live/mermaid.js')).statusCode, 404)
  t.same(warnings, ['the live view draws no diagram: mermaid is not installed (npm install mermaid)'])
})

t.test('path and prefix place the routes', async (t) => {
  const { app } = await buildApp({ flow, prefix: '/ai', liveView: { path: '/calls-now/', token } })
  t.teardown(() => app.close())
  t.equal((await app.inject('/ai/calls-now')).statusCode, 200)
  t.equal((await app.inject({ url: '/ai/calls-now/calls', headers: auth })).statusCode, 200)
  const { app: rooted } = await buildApp({ flow, liveView: { path: '/', token } })
  t.teardown(() => rooted.close())
  t.equal((await rooted.inject('/')).statusCode, 200)
  t.equal((await rooted.inject({ url: '/calls', headers: auth })).statusCode, 200)
})

const wrong: Array<[unknown, RegExp]> = [
  ['on', /liveView must be an object with a token, got "on"/],
  [null, /liveView must be an object with a token, got null/],
  [{ token, path: 'live' }, /liveView.path must be a string starting with \/, got "live"/],
  [{}, /liveView.token must be a string of at least 16 characters, got undefined/],
  [{ token: 'short' }, /liveView.token must be a string of at least 16 characters, got "…"/]
]

t.test('a wrong liveView option throws at register, without showing the token', async (t) => {
  for (const [liveView, message] of wrong) {
    await t.rejects(buildApp({ flow, liveView: liveView as never }), { code: 'FST_AIFLOW_INVALID_OPTION', message })
  }
})
