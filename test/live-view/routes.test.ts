import { createHash } from 'node:crypto'
import t from 'tap'
import { flow } from '../../examples/ivr-menu'
import { toMermaid } from '../../lib/tools/mermaid'
import { pageScript } from '../../lib/live-view/page-script'
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
  t.match(response.headers['content-security-policy'], `script-src 'sha256-${scriptHash}'`)
  t.match(response.headers['content-security-policy'], "connect-src 'self'")
  t.equal(response.headers['cache-control'], 'no-store')
  t.equal(response.headers['referrer-policy'], 'no-referrer')
})

t.test('the data needs the live view token as a bearer token', async (t) => {
  const { app, logs } = await buildApp({ flow, token: 'the-webhook-token', liveView: { token } })
  t.teardown(() => app.close())
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${token}` }, { authorization: 'Bearer' }, { 'x-api-token': 'the-webhook-token' }]) {
    for (const url of ['/live/calls', '/live/stream', '/live/mermaid']) {
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
  t.equal(empty.chart.id, 'ivr')
  t.match(empty.chart.states.find((state: { key: string }) => state.key === 'main'), {
    type: 'compound',
    initial: false,
    transitions: [{ label: 'sales', targets: ['sales'] }, {}, {}, {}, {}]
  })
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
