import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildServer } from '../../examples/app'
import { startTelemetry } from '../../examples/telemetry'
import { flowVersionOf } from '../../lib'
import { demoFlow } from '../../examples/demo-flow'
import { LogCollector } from '../fixtures/logs'
import { parseSamples, valueOf, type Sample } from '../fixtures/prometheus-text'

// One SDK per process, as an application has: registered before any server is built.
const telemetry = startTelemetry()
t.teardown(() => telemetry.shutdown())

const examples = path.join(__dirname, '..', 'fixtures', 'protocol-examples')
function event (name: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...JSON.parse(fs.readFileSync(path.join(examples, `event-${name}.json`), 'utf8')), ...changes }
}
const start = event('session_start')
const { id: callId, from_phone_number: caller } = start.session as { id: string, from_phone_number: string }
const flowVersion = flowVersionOf(demoFlow)

t.test('a scripted call through the demo shows in /metrics, value by value', async (t) => {
  const logs = new LogCollector()
  const app = buildServer({ telemetry, logger: { level: 'info', stream: logs } })
  t.teardown(() => app.close())
  const post = async (payload: Record<string, unknown>): Promise<number> =>
    (await app.inject({ method: 'POST', url: '/webhook', payload })).statusCode
  const scrape = async (): Promise<{ text: string, samples: Sample[] }> => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    return { text: res.body, samples: parseSamples(res.body) }
  }

  t.equal(await post(start), 200)
  const during = await scrape()
  t.equal(valueOf(during.samples, 'aiflow_calls_active'), 1, 'one call active during the call')
  t.equal(valueOf(during.samples, 'aiflow_events_total', { type: 'session_start' }), 1)
  t.equal(valueOf(during.samples, 'aiflow_calls_ended_total'), undefined, 'no call has ended yet')

  t.equal(await post(event('user_speak', { text: 'Wait, the menu please', barged_in: true })), 200)
  t.equal(await post(event('user_input_timeout')), 200)
  t.equal(await post(event('user_input_timeout')), 200)
  t.equal(await post(event('dtmf_received', { digit: '9' })), 200, 'goodbye, then hangup')
  t.equal(await post(event('session_end')), 204)

  const { text, samples } = await scrape()
  const byType = { session_start: 1, user_speak: 1, user_input_timeout: 2, dtmf_received: 1, session_end: 1 }
  for (const [type, count] of Object.entries(byType)) {
    t.equal(valueOf(samples, 'aiflow_events_total', { type, flow_version: flowVersion }), count, `events of type ${type}`)
    t.equal(valueOf(samples, 'aiflow_reply_duration_seconds_count', { type }), count, `replies timed for ${type}`)
    t.equal(valueOf(samples, 'aiflow_reply_duration_seconds_bucket', { type, le: '+Inf' }), count, `the +Inf bucket of ${type}`)
  }
  t.equal(valueOf(samples, 'aiflow_calls_active'), 0, 'no call active after session_end')
  t.equal(valueOf(samples, 'aiflow_calls_ended_total', { outcome: 'hangup' }), 1, 'the call ended with the flow hanging up')
  t.equal(samples.filter((sample) => sample.name === 'aiflow_calls_ended_total').length, 1, 'and with no other outcome')
  t.equal(valueOf(samples, 'aiflow_barge_ins_total'), 1)
  t.equal(valueOf(samples, 'aiflow_input_timeouts_total'), 2)
  t.equal(valueOf(samples, 'aiflow_flow_errors_total'), undefined, 'no flow error')
  t.notOk(text.includes(callId), 'no call id in any metric')
  t.notOk(text.includes(caller.slice(1)), 'no phone number in any metric')

  const [summary] = logs.find('call ended')
  t.match(summary, {
    level: 30,
    sessionId: callId,
    call: {
      events: byType, bargeIns: 1, inputTimeouts: 2, outcome: 'hangup', finalState: 'ended', flowVersion, transport: 'http'
    }
  }, 'one info line sums the call up')
  t.type(summary.call, 'object')
  t.ok((summary.call as { durationMs: number }).durationMs >= 0)
  t.notOk(JSON.stringify(summary).includes(caller.slice(1)), 'the summary has no phone number')
})
