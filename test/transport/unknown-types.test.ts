import t from 'tap'
import Fastify from 'fastify'
import { emit } from 'xstate'
import { fastifyAiFlow, setupFlow, speak, type FastifyAiFlowOptions } from '../../lib'
import { nearestName } from '../../lib/protocol/nearest-name'
import { REMEMBERED_TYPES } from '../../lib/transport/unknown-types'
import { event, post } from '../fixtures/helpers'
import { LogCollector } from '../fixtures/logs'
import { connect } from '../fixtures/ws-client'

const WARNED = /^an event of unknown type "[^"]*" (\(did you mean "[^"]*"\?\) )?went to the flow as it is; this is said once per type$/

// A flow that declares an event of its own: the service (or the application) may send it.
const flow = setupFlow({ types: { events: {} as { type: 'booking_confirmed' } } }).createMachine({
  id: 'line',
  on: { booking_confirmed: { actions: emit(speak('Your table is booked.')) } }
})

async function start (t: { teardown: (fn: () => unknown) => void }, options: Partial<FastifyAiFlowOptions> = {}) {
  const logs = new LogCollector()
  const app = Fastify({ logger: { level: 'warn', stream: logs } })
  await app.register(fastifyAiFlow, { flow, path: '/webhook', ...options })
  t.teardown(() => app.close())
  const warned = (): Array<Record<string, unknown>> => logs.lines.filter((line) => WARNED.test(line.msg))
  return { app, logs, warned }
}

t.test('a misspelt event type over the webhook: still 204 and passed on, and one warning naming the nearest known type', async (t) => {
  const { app, warned } = await start(t)
  await post(app, event('session_start'))
  t.same(await post(app, event('dtmf_recieved', 'call-1', { digit: '1' })), { status: 204, body: undefined })
  t.same(await post(app, event('dtmf_recieved', 'call-1', { digit: '2' })), { status: 204, body: undefined })
  t.match(warned(), [{ level: 40, eventType: 'dtmf_recieved', nearest: 'dtmf_received', msg: 'an event of unknown type "dtmf_recieved" (did you mean "dtmf_received"?) went to the flow as it is; this is said once per type' }])
  t.equal(warned().length, 1, 'once per type, not once per event')

  await post(app, event('booking_confirmed'))
  await post(app, event('user_speak', 'call-1', { text: 'hi' }))
  t.equal(warned().length, 1, "the protocol's types and the flow's own are known")
  await post(app, event('quarterly_report'))
  t.match(warned()[1], { eventType: 'quarterly_report', msg: 'an event of unknown type "quarterly_report" went to the flow as it is; this is said once per type' }, 'no type near it: none named')
  t.notOk('nearest' in warned()[1])
})

t.test('a misspelt event type over the WebSocket is warned about too', async (t) => {
  const { app, logs } = await start(t, { websocket: { path: '/ws' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'ws-call'))
  client.send(event('user_speek', 'ws-call', { text: 'hello' }))
  const line = await logs.waitFor('an event of unknown type "user_speek" (did you mean "user_speak"?) went to the flow as it is; this is said once per type')
  t.match(line, { level: 40, eventType: 'user_speek', nearest: 'user_speak', transport: 'websocket' })
})

t.test(`at most ${REMEMBERED_TYPES} unknown types are remembered: then one line says no more are warned about`, async (t) => {
  const { app, logs, warned } = await start(t)
  await post(app, event('session_start'))
  for (let n = 0; n < REMEMBERED_TYPES + 5; n++) t.equal((await post(app, event(`made_up_${n}`))).status, 204)
  await post(app, event('made_up_0'))
  t.equal(warned().length, REMEMBERED_TYPES)
  t.match(logs.find('more unknown event types than are remembered: no more are warned about'), [{ level: 40, remembered: REMEMBERED_TYPES }], 'said once')
})

t.test('the nearest name: within a quarter of the letters (at least two edits), the nearest first', async (t) => {
  t.equal(nearestName('dtmf_recieved', ['user_speak', 'dtmf_received']), 'dtmf_received')
  t.equal(nearestName('session_ended', ['session_end', 'session_start']), 'session_end')
  t.equal(nearestName('ab', ['xy']), 'xy', 'two edits are always near enough')
  t.equal(nearestName('abc', ['xyz']), undefined)
  t.equal(nearestName('dtmf_receved', ['dtmf_recei', 'dtmf_received']), 'dtmf_received', 'the nearer of two near ones, not the first')
  t.equal(nearestName('dtmf_recXYZd', ['dtmf_recABCd', 'dtmf_recDEFd']), 'dtmf_recABCd', 'of two as near, the first')
  t.equal(nearestName('anything', []), undefined)
})
