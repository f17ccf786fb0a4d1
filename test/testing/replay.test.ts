import { PassThrough } from 'node:stream'
import t from 'tap'
import { parseRecording, speak, type RecordedCall } from '../../lib'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { replayRecording, simulateCall } from '../../lib/testing'
import { buildApp, event, post } from '../fixtures/helpers'
import { SETTLE, delivered } from '../fixtures/kit-servers'
import { echoFlow, gatedThinkingFlow, menuFlow } from '../fixtures/simulator-flows'

/** Calls recorded by the plugin itself, as they would be in production. */
async function record (redactPhoneNumbers: boolean, play: (app: Awaited<ReturnType<typeof buildApp>>['app']) => Promise<void>): Promise<RecordedCall[]> {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => { text += String(chunk) })
  const { app } = await buildApp({ flow: menuFlow, record: { stream, redactPhoneNumbers } })
  await play(app)
  await app.close()
  return parseRecording(text)
}

const transferCall = async (app: Awaited<ReturnType<typeof buildApp>>['app']): Promise<void> => {
  await post(app, event('session_start', 'r1'))
  await post(app, event('dtmf_received', 'r1', { digit: '1' }))
  await post(app, event('session_start', 'r1'))
  await post(app, event('dtmf_received', 'r1', { digit: '9' }))
  await post(app, event('session_start', 'r2'))
  await post(app, event('session_end', 'r2'))
}

t.test('the same flow gives the same replies', async (t) => {
  for (const redact of [true, false]) {
    const calls = await record(redact, transferCall)
    const result = await replayRecording(calls, menuFlow)
    t.same(result, { calls: 2, events: 6, differences: [], modelDifferences: [], toolDifferences: [], errors: [], versions: [] }, redact ? 'masked numbers are masked again' : 'numbers kept')
  }
})

t.test('another flow: every differing reply, recorded against replayed, with the states', async (t) => {
  const calls = await record(false, transferCall)
  const result = await replayRecording(calls, echoFlow)
  t.equal(result.events, 6)
  t.same(result.differences.map((d) => [d.sessionId, d.position, d.event.type]), [
    ['r1', 1, 'session_start'], ['r1', 2, 'dtmf_received'], ['r1', 3, 'session_start'], ['r1', 4, 'dtmf_received'], ['r2', 1, 'session_start']
  ])
  t.same(result.differences[3], {
    sessionId: 'r1',
    position: 4,
    event: calls[0].turns[3].event,
    recorded: [{ type: 'speak', session_id: 'r1', text: 'Goodbye.' }, { type: 'hangup', session_id: 'r1' }],
    replayed: [{ type: 'speak', session_id: 'r1', text: 'key 9' }],
    recordedState: 'done',
    replayedState: {}
  })
})

/** A recorded turn for the menu flow, written by hand. */
function line (at: number, type: string, reply: object[], fields: object = {}): object {
  return { at, event: { type, ...fields, session: { id: 'timed' } }, reply: reply.map((action) => ({ ...action, session_id: 'timed' })) }
}

t.test('the clock moves as the recorded arrival times did, so delays fire as they did', async (t) => {
  const prompt = speak('Press 1 for sales, 9 to hang up.')
  const calls = (secondAt: number, reply: object[]): RecordedCall[] => parseRecording([
    line(10_000, 'session_start', [prompt]),
    line(10_000 + secondAt, 'user_speak', reply, { text: 'hello?' })
  ].map((value) => JSON.stringify(value)).join('\n'))
  t.same((await replayRecording(calls(6000, [prompt]), menuFlow)).differences, [], 'after 6 s, the reprompt led the reply')
  t.same((await replayRecording(calls(1000, []), menuFlow)).differences, [], 'after 1 s, nothing had happened')
  const late = await replayRecording(calls(11_000, [prompt]), menuFlow)
  t.same(late.differences[0].replayed, [
    { type: 'speak', session_id: 'timed', text: 'Press 1 for sales, 9 to hang up.' },
    { type: 'speak', session_id: 'timed', text: 'No answer, goodbye.' },
    { type: 'hangup', session_id: 'timed' }
  ], 'after 11 s the flow had given up')
})

t.test('the flow failing during a replay is reported with its call', async (t) => {
  const calls = parseRecording([
    line(0, 'session_start', [speak('Press 1 for sales, 9 to hang up.')]),
    line(1, 'user_speak', [], { text: 'break' })
  ].map((value) => JSON.stringify(value)).join('\n'))
  const result = await replayRecording(calls, menuFlow, { fallback: [] })
  t.same(result.differences, [])
  t.match(result.errors, [{ sessionId: 'timed', err: { message: /the flow broke/ } }])
})

t.test('a call recorded over the WebSocket replays as pushed: what came later does not lead the next reply', async (t) => {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => { text += String(chunk) })
  const { flow, answer, thinks } = gatedThinkingFlow()
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow, websocket: true, record: { stream } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const call = simulateCall(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`, { settle: SETTLE })
  t.same(await call.start(), [])
  t.same(await call.say('hi'), [speak('Let me think.')])
  await answer('Here you are.')
  await delivered(app)
  t.same(await call.say('again'), [speak('Here you are.'), speak('Let me think.')], 'the answer was pushed between the events')
  await call.close()
  await app.close()
  const calls = parseRecording(text)
  t.same(calls[0].turns.map((turn) => [turn.reply.length, turn.pushed]), [[0, true], [1, true], [1, true]], 'the push is not in the recording')
  t.same(await replayRecording(calls, thinks('Here you are.')), { calls: 1, events: 3, differences: [], modelDifferences: [], toolDifferences: [], errors: [], versions: [] },
    'each answer is compared with the start of the replayed reply, which waited for the work')
  const other = await replayRecording(calls, echoFlow)
  t.same(other.differences.map((d) => [d.position, d.recorded.map((a) => a.type === 'speak' && 'text' in a && a.text), d.replayed.length]), [
    [2, ['Let me think.'], 1],
    [3, ['Let me think.'], 1]
  ], 'another flow still differs where it answers differently at once')
})
