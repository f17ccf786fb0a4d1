import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, parseRecording, setupFlow, speak, hangup, type AgentModel, type RecordedCall } from '../../lib'
import { replayRecording, scriptedModel, TestClock, type ScriptedAnswer } from '../../lib/testing'
import { replay } from '../../lib/cli/replay-command'
import { paint } from '../../lib/cli/paint'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, eventually, post } from '../fixtures/helpers'
import { connect } from '../fixtures/ws-client'

/** A small line whose prompt and tools a test can change. */
function deskFlow (model: AgentModel, { instructions = 'You are the front desk.', leave = 'bye', goodbye = 'Goodbye.' } = {}) {
  return setupFlow({}).createMachine({
    id: 'desk',
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        instructions,
        tools: { [leave]: { description: 'End the call', parameters: Type.Object({}), then: 'done' } },
        onError: 'done'
      }),
      done: { entry: [emit(speak(goodbye)), emit(hangup())] }
    }
  })
}

interface Recording { app: FastifyInstance, calls: () => RecordedCall[] }

async function recording (t: { teardown: (fn: () => unknown) => void }, flow: ReturnType<typeof deskFlow> | ReturnType<typeof restaurantFlow>, extra: { websocket?: boolean, replyTimeout?: number } = {}): Promise<Recording> {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow, record: { stream }, replyTimeout: 1000, ...extra })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, calls: () => parseRecording(text) }
}

const nobody = (): AgentModel => scriptedModel([], { name: 'never asked' })

t.test('a recorded call with a model replays exactly, without asking any model', async (t) => {
  const answers: ScriptedAnswer[] = [
    'Of course! For when, and how many?',
    { text: 'Let me note that.', tool: { name: 'confirm_booking', args: { date: '2026-12-24', time: '19:00', people: 4 } } }
  ]
  const { app, calls } = await recording(t, restaurantFlow(scriptedModel(answers)))
  await post(app, event('session_start', 'r'))
  await post(app, event('user_speak', 'r', { text: 'A table please' }))
  await post(app, event('user_speak', 'r', { text: 'Four, Christmas Eve at seven' }))
  const [call] = calls()
  t.equal(call.models?.length, 2, 'the recording holds both model calls')
  t.same(call.models?.[1].parts.map(({ part }) => part.type), ['text', 'text', 'text', 'text', 'tool-call'])
  const unused = scriptedModel([])
  const result = await replayRecording(calls(), restaurantFlow(unused))
  t.same(result.differences, [])
  t.same(result.modelDifferences, [])
  t.same(result.errors, [])
  t.equal(result.events, 3)
  t.equal(unused.requests.length, 0, 'the model of the replayed flow was never asked')
})

t.test('a filler and a late answer replay as they happened', async (t) => {
  const clock = new TestClock()
  const { app, calls } = await recording(t, restaurantFlow(scriptedModel([{ text: 'We open at noon.', firstDelay: 5000 }], { clock })), { replyTimeout: 100 })
  await post(app, event('session_start', 'f'))
  t.same((await post(app, event('user_speak', 'f', { text: 'When do you open?' }))).body, { type: 'speak', session_id: 'f', text: 'One moment, please.' })
  await clock.advance(5000)
  t.ok(await eventually(async () => (await app.aiFlow.getCall('f'))?.pendingActions === 1))
  await post(app, event('assistant_speech_ended', 'f'))
  const result = await replayRecording(calls(), restaurantFlow(nobody()), { replyTimeout: 100 })
  t.same(result.differences, [], 'the filler, then the answer leading the next reply')
  t.same(result.modelDifferences, [])
})

t.test('a WebSocket call with a barge-in replays exactly', async (t) => {
  const clock = new TestClock()
  const model = scriptedModel([
    { text: ['We have tables at seven. We', ' also have some at nine.'], delay: 1000, firstDelay: 0 },
    'Nine it is.'
  ], { clock })
  const { app, calls } = await recording(t, restaurantFlow(model), { websocket: true })
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'w'))
  await client.next()
  client.send(event('user_speak', 'w', { text: 'Tables tonight?' }))
  t.match(await client.next(), { text: 'We have tables at seven.' })
  client.send(event('user_speech_started', 'w'))
  t.match(await client.next(), { type: 'barge_in' })
  t.ok(await eventually(() => model.aborted === 1))
  client.send(event('user_speak', 'w', { text: 'Nine', barged_in: true }))
  t.match(await client.next(), { text: 'Nine it is.' })
  t.ok(await eventually(() => calls()[0]?.models?.length === 2))
  t.equal(calls()[0].models?.[0].aborted, true, 'the interrupted model call is recorded as such')
  const result = await replayRecording(calls(), restaurantFlow(nobody()))
  t.same(result.differences, [])
  t.same(result.modelDifferences, [], 'the second request had the same cut-off answer in its history')
})

t.test('a changed prompt, tool list or flow shows up as a difference', async (t) => {
  const { app, calls } = await recording(t, deskFlow(scriptedModel([{ text: 'Bye!', tool: { name: 'bye' } }])))
  await post(app, event('session_start', 'd'))
  await post(app, event('user_speak', 'd', { text: 'That is all' }))

  const same = await replayRecording(calls(), deskFlow(nobody()))
  t.same([same.differences, same.modelDifferences], [[], []], 'unchanged, it replays exactly')

  const prompt = await replayRecording(calls(), deskFlow(nobody(), { instructions: 'You are the night desk.' }))
  t.match(prompt.modelDifferences, [{ sessionId: 'd', position: 1, recorded: { instructions: 'You are the front desk.' }, replayed: { instructions: 'You are the night desk.' } }])

  const tools = await replayRecording(calls(), deskFlow(nobody(), { leave: 'end_call' }))
  t.match(tools.modelDifferences, [
    { position: 1, recorded: { tools: [{ name: 'bye' }] }, replayed: { tools: [{ name: 'end_call' }] } },
    { position: 2, recorded: undefined, replayed: { messages: [{ role: 'caller' }, { role: 'tool', name: 'bye', ok: false }] } }
  ], 'the changed flow refused the recorded tool call and asked again')

  const flow = await replayRecording(calls(), deskFlow(nobody(), { goodbye: 'See you.' }))
  t.same(flow.modelDifferences, [])
  t.match(flow.differences, [{ position: 2, recorded: [{ text: 'Bye!' }, { text: 'Goodbye.' }, { type: 'hangup' }], replayed: [{ text: 'Bye!' }, { text: 'See you.' }, { type: 'hangup' }] }])

  const dir = await mkdtemp(path.join(tmpdir(), 'replay-'))
  const file = path.join(dir, 'd.jsonl')
  await writeFile(file, calls().flatMap((call) => [...call.turns.map((turn) => JSON.stringify(turn)), ...(call.models ?? []).map((model) => JSON.stringify({ sessionId: call.sessionId, model }))]).join('\n'))
  const report = await replay(file, deskFlow(nobody(), { instructions: 'You are the night desk.' }), paint(false))
  t.equal(report.differs, true, 'the CLI exits 1 for a changed prompt')
  t.same(report.lines, [
    'call d, model call 1: the request differs in instructions',
    '    recorded instructions: "You are the front desk."',
    '    replayed instructions: "You are the night desk."',
    '1 call, 2 events: 0 replies differ from the recording, 1 model request differs'
  ])
})

t.test('a replayed call that asks its model more often than recorded: reported, and the flow takes its fallback', async (t) => {
  const { app, calls } = await recording(t, deskFlow(scriptedModel(['Hello.'])))
  await post(app, event('session_start', 'm'))
  const result = await replayRecording([...calls()].map((call) => ({ ...call, turns: [...call.turns, { at: call.turns[0].at, event: { type: 'user_speak', session: { id: 'm' }, text: 'Hi' }, reply: [] }] })), deskFlow(nobody()))
  t.match(result.modelDifferences, [{ sessionId: 'm', position: 1, recorded: undefined, replayed: { instructions: 'You are the front desk.' } }])
  t.match(result.differences, [{ position: 2, replayed: [{ text: 'Goodbye.' }, { type: 'hangup' }] }])
})
