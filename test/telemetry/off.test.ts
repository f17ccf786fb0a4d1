import t from 'tap'
import * as api from '@opentelemetry/api'
import { CallTelemetry } from '../../lib/telemetry'
import { loadOtelApi, otelTargets } from '../../lib/telemetry/otel-api'
import { statePath } from '../../lib/telemetry/state-path'
import { assistant } from '../fixtures/flows'
import { buildApp, event, post } from '../fixtures/helpers'

// No SDK is registered in this process: the API hands out no-op tracers and meters.
const log = { info: () => {} }

t.test('without @opentelemetry/api, telemetry is off', async (t) => {
  t.equal(loadOtelApi(() => { throw new Error('Cannot find module \'@opentelemetry/api\'') }), undefined)
  t.equal(otelTargets(undefined), undefined)
  t.equal(loadOtelApi(), api, 'it loads when installed')
})

t.test('with the API but no SDK registered, telemetry is off and an event makes no turn', async (t) => {
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log })
  t.equal(telemetry.enabled, false)
  t.equal(otelTargets(api), undefined)
  t.equal(telemetry.eventStarted({ type: 'session_start', session: { id: 'off' } }, 'http'), undefined, 'nothing made for the event')
  t.equal(telemetry.workStarted('off', 'lookup'), undefined, 'work gets no span')
  const work = Promise.resolve(1)
  t.equal(telemetry.storeOperation('off', 'get', work), work, 'store operations are left as they are')
  t.equal(telemetry.lockClaimed('off', work), work)
  telemetry.flowFailed('off', new Error('down'))
  telemetry.actionEmitted('off', 'speak', true)
  telemetry.close()
})

t.test('without an SDK, every call still gets its summary line', async (t) => {
  const { app, logs } = await buildApp({ flow: assistant })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'summed'))
  await post(app, event('user_speak', 'summed', { text: 'Hello', barged_in: true }))
  await post(app, event('dtmf_received', 'summed', { digit: '#' }))
  await post(app, event('session_end', 'summed'))

  const lines = logs.filter((line) => line.msg === 'call ended')
  t.equal(lines.length, 1)
  t.match(lines[0], {
    level: 30,
    sessionId: 'summed',
    call: { events: { session_start: 1, user_speak: 1, dtmf_received: 1, session_end: 1 }, bargeIns: 1, outcome: 'hangup', finalState: 'listening', transport: 'http' }
  })
  t.notOk(JSON.stringify(lines[0]).includes('1234567890'), 'no phone number')
})

t.test('a session_end for a call this instance never saw sums nothing up', async (t) => {
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log: { info: () => t.fail('nothing to log') } })
  telemetry.callEnded('unknown', 'session_end', undefined)
  t.pass()
})

t.test('state values read as dotted paths', async (t) => {
  t.equal(statePath(undefined), undefined)
  t.equal(statePath('menu'), 'menu')
  t.equal(statePath({ booking: 'askDate' }), 'booking.askDate')
  t.equal(statePath({ call: { audio: 'playing', input: { digits: 'collecting' } } }), 'call.audio.playing,call.input.digits.collecting')
  t.equal(statePath({ waiting: {} }), 'waiting')
})
