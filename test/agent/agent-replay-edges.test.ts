import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { agent, fastifyAiFlow, parseRecording, setupFlow, type AgentModel, type ModelPart } from '../../lib'
import { replayRecording, scriptedModel } from '../../lib/testing'
import { recordingHook, type ModelCallRecord } from '../../lib/agent/model-calls'
import { replayReport } from '../../lib/cli/replay-command'
import { paint } from '../../lib/cli/paint'
import { event, post } from '../fixtures/helpers'

function flow (model: AgentModel) {
  return setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({ id: 'talk', model, instructions: 'Help.', tools: { note: { description: 'Note', parameters: Type.Object({ n: Type.Integer() }), then: 'done' } }, onError: 'done' }),
      done: { type: 'final' }
    }
  })
}

t.test('a model failure is recorded and replayed as it was', async (t) => {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: flow(scriptedModel([{ error: 'the provider is down' }])), record: { stream } })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'x'))
  await post(app, event('user_speak', 'x', { text: 'Hi' }))
  const calls = parseRecording(text)
  t.equal(calls[0].models?.[0].error, 'the provider is down')
  const result = await replayRecording(calls, flow(scriptedModel([])))
  t.same([result.differences, result.modelDifferences], [[], []])
  t.same(await replayRecording([{ sessionId: calls[0].sessionId, turns: calls[0].turns.slice(0, 1) }], flow(scriptedModel([]))),
    { calls: 1, events: 1, differences: [], modelDifferences: [], toolDifferences: [], errors: [], versions: [] }, 'a call made by hand, without models or tools, replays')
})

t.test('a recording keeps what a model threw that is not an Error, and nothing but "aborted" for a call stopped', async (t) => {
  const kept: ModelCallRecord[] = []
  const hook = recordingHook((record) => kept.push(record), () => 1000, () => {})
  const request = { instructions: 'i', messages: [], tools: [], signal: new AbortController().signal }
  async function * throwsString (): AsyncIterable<ModelPart> {
    yield { type: 'text', text: 'a' }
    throw 'no credit' // eslint-disable-line no-throw-literal
  }
  await t.rejects(async () => { for await (const part of hook.stream(request, throwsString)) t.ok(part) })
  const controller = new AbortController()
  async function * stopped (): AsyncIterable<ModelPart> {
    controller.abort()
    throw new Error('aborted')
  }
  await t.rejects(async () => { for await (const part of hook.stream({ ...request, signal: controller.signal }, stopped)) t.fail(String(part)) })
  t.same(kept, [
    { at: 1000, n: 1, request: { instructions: 'i', messages: [], tools: [] }, parts: [{ ms: 0, part: { type: 'text', text: 'a' } }], error: 'no credit' },
    { at: 1000, n: 2, request: { instructions: 'i', messages: [], tools: [] }, parts: [], aborted: true }
  ])
})

t.test('a tool call whose arguments are not an object is refused as such', async (t) => {
  const model = scriptedModel([{ tool: { name: 'note', args: 'seven' } }, { tool: { name: 'note', args: { n: 7 } } }])
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: flow(model) })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'y'))
  await post(app, event('user_speak', 'y', { text: 'Note seven' }))
  t.match(model.requests[1].messages.at(-1), { role: 'tool', ok: false, result: /^invalid arguments for "note": arguments: Expected object/ })
})

t.test('model lines that are not model calls are refused, naming the line', async (t) => {
  t.throws(() => parseRecording('{"model":{"at":1,"request":{},"parts":[]}}'), /line 1 has a model call without a "sessionId"/)
  t.throws(() => parseRecording('\n{"sessionId":"a","model":{"at":1,"parts":[]}}'), /line 2 has a model call without "at", "request" and "parts"/)
  t.throws(() => parseRecording('{"sessionId":"a","model":null}'), /line 1 has a model call without "at"/)
})

t.test('the replay report counts model requests in words and names one the recording has no answer for', async (t) => {
  const request = { instructions: 'a', messages: [], tools: [] }
  const lines = replayReport({
    calls: 1,
    events: 2,
    differences: [],
    modelDifferences: [
      { sessionId: 'm', position: 1, recorded: request, replayed: { ...request, options: { temperature: 1 } } },
      { sessionId: 'm', position: 2, replayed: request }
    ],
    toolDifferences: [],
    errors: [],
    versions: []
  }, paint(false))
  t.same(lines, [
    'call m, model call 1: the request differs in options',
    '    recorded options: (none)',
    '    replayed options: {"temperature":1}',
    'call m, model call 2: the recording has no answer for it',
    '1 call, 2 events: 0 replies differ from the recording, 2 model requests differ'
  ])
})
