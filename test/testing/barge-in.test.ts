import { PassThrough } from 'node:stream'
import t from 'tap'
import { emit, fromPromise, type AnyStateMachine } from 'xstate'
import { bargeIn, parseRecording, setupFlow, speak } from '../../lib'
import { FlowDriver, replayRecording, runScript, simulateCall, type Move } from '../../lib/testing'
import { SETTLE, listening, type Teardown } from '../fixtures/kit-servers'
import { newsFlow, newsFlowAsking } from '../fixtures/simulator-flows'

// What a flow emits on user_speech_started reaches the caller at once, in
// every driver and in replay, as it does over the WebSocket.

const script: Move[] = ['start', 'speechStarted', { press: '1' }, 'speechStarted', { say: 'weather' }]
const replies = [
  [speak('Here is the news.')],
  [bargeIn(), speak('Yes?')],
  [speak('Topic 1.')],
  [bargeIn(), speak('Yes?')],
  [speak('News about weather.')]
]

/** A speak's text, or another action's type. */
const said = (action: { type: string, text?: unknown }): unknown => action.text ?? action.type

t.test('the flow driver: the barge-in is the answer to user_speech_started, not to the next move', async (t) => {
  const call = simulateCall(newsFlow)
  t.teardown(() => call.close())
  t.same(await call.start(), replies[0])
  t.same(await call.speechStarted(), [bargeIn(), speak('Yes?')])
  t.ok(call.matches('asking'))
  t.same(await call.press('1'), [speak('Topic 1.')], 'nothing of the barge-in comes again')
})

t.test('a script plays the barge-ins alike in this process and over the WebSocket', async (t) => {
  const { base } = await listening(t, { flow: newsFlow, websocket: true })
  const direct = await runScript(newsFlow, script)
  const remote = await runScript(`ws://${base}/ws`, script, { settle: SETTLE })
  t.same(direct.map((turn) => turn.actions), replies)
  t.same(remote.map((turn) => turn.actions), replies)
})

t.test('over the webhook the simulator refuses user_speech_started rather than answer it as no server would', async (t) => {
  const { base } = await listening(t, { flow: newsFlow })
  await t.rejects(runScript(`http://${base}/webhook`, script), /user_speech_started comes over the WebSocket only/)
})

t.test('the flow driver answers as the transport given would', async (t) => {
  const driver = new FlowDriver(newsFlow)
  t.teardown(() => driver.close())
  const session = { id: 'by-transport', direction: 'inbound' as const }
  await driver.send({ type: 'session_start', session })
  t.same((await driver.send({ type: 'user_speech_started', session }, 'webhook')).actions, [], 'the webhook answers 204')
  t.equal(await driver.queued('by-transport'), 2, 'the barge-in waits for the next reply')
  const next = await driver.send({ type: 'dtmf_received', digit: '3', session } as { type: string, session: { id: string } }, 'websocket')
  t.same(next.actions.map(said), ['barge_in', 'Yes?', 'Topic 3.'])
  t.equal(await driver.queued('by-transport'), 0)
})

/** Plays `moves` against a recording WebSocket server and parses what it recorded. */
async function recordOverWebSocket (t: Teardown, moves: Move[], flow: AnyStateMachine = newsFlow) {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => { text += String(chunk) })
  const { app, base } = await listening(t, { flow, websocket: true, record: { stream } })
  const turns = await runScript(`ws://${base}/ws`, moves, { settle: SETTLE })
  await app.close()
  return { calls: parseRecording(text), turns }
}

t.test('a WebSocket recording of a call with barge-ins replays clean against the unchanged flow', async (t) => {
  const { calls, turns } = await recordOverWebSocket(t, script)
  t.same(turns.map((turn) => turn.actions), replies, 'the call as the phone had it')
  t.same(calls[0].turns.map((turn) => [turn.event.type, turn.reply.length, turn.pushed]), [
    ['session_start', 1, true], ['user_speech_started', 2, true], ['dtmf_received', 1, true],
    ['user_speech_started', 2, true], ['user_speak', 1, true]
  ], 'the barge-ins were recorded as answered at once')
  t.same(await replayRecording(calls, newsFlow), { calls: 1, events: 5, differences: [], modelDifferences: [], toolDifferences: [], errors: [], versions: [] })
})

t.test('a barge-in answered differently is one difference, at its own event', async (t) => {
  const { calls } = await recordOverWebSocket(t, ['start', 'speechStarted', { press: '1' }, 'hangUp'])
  const result = await replayRecording(calls, newsFlowAsking('Go ahead.'))
  t.same(result.differences.map((d) => [d.position, d.event.type, d.replayed]), [
    [2, 'user_speech_started', [{ type: 'barge_in', session_id: calls[0].sessionId }, { type: 'speak', session_id: calls[0].sessionId, text: 'Go ahead.' }]]
  ])
})

t.test('a WebSocket recording holds no later pushes: what the flow emitted between events is not compared', async (t) => {
  // Recorded by hand as the plugin writes it: the reminder 5 s after "Yes?" was pushed, not recorded.
  const id = 'pushed-between'
  const line = (at: number, type: string, reply: object[], fields: object = {}): string =>
    JSON.stringify({ at, event: { type, ...fields, session: { id } }, reply: reply.map((action) => ({ ...action, session_id: id })), pushed: true })
  const calls = parseRecording([
    line(0, 'session_start', [speak('Here is the news.')]),
    line(1000, 'user_speech_started', [bargeIn(), speak('Yes?')]),
    line(7000, 'dtmf_received', [speak('Topic 2.')], { digit: '2' })
  ].join('\n'))
  t.same((await replayRecording(calls, newsFlow)).differences, [])
  const asWebhook = parseRecording(calls[0].turns.map(({ pushed: _, ...turn }) => JSON.stringify(turn)).join('\n'))
  const result = await replayRecording(asWebhook, newsFlow)
  t.same(result.differences.map((d) => [d.position, d.replayed.map(said)]), [
    [2, []],
    [3, ['barge_in', 'Yes?', 'Press 1 for sports, or say what you want.', 'Topic 2.']]
  ], 'read as a webhook recording, the same lines differ: there, replies carry what came between')
})

/** Stops playback at once, and asks (work that is done within the same tick) what the caller wants. */
const askingFlow = (question: string) => setupFlow({ actors: { ask: fromPromise(async () => question) } }).createMachine({
  id: 'asking',
  initial: 'reading',
  states: {
    reading: { on: { user_speech_started: { target: 'asking', actions: emit(bargeIn()) } } },
    asking: { invoke: { src: 'ask', onDone: { target: 'reading', actions: emit(({ event }) => speak(event.output)) } } }
  }
})

t.test('a barge-in and what work says in the same tick: one answer on the phone, the barge_in in the recording', async (t) => {
  const { calls, turns } = await recordOverWebSocket(t, ['start', 'speechStarted'], askingFlow('Yes?'))
  t.same(turns[1].actions, [bargeIn(), speak('Yes?')], 'the phone got both at once')
  t.same(calls[0].turns[1].reply.map(said), ['barge_in'], 'the recording holds what was answered at once')
  t.same((await replayRecording(calls, askingFlow('Yes?'))).differences, [], 'the replayed reply waits for the work and is cut to the recorded one')
  t.same((await replayRecording(calls, askingFlow('What?'))).differences, [],
    'a change in what the work says cannot be seen: it was never recorded')
})
