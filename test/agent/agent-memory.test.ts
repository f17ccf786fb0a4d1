import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { agent, fastifyAiFlow, parseRecording, setupFlow, type AgentMemory, type AgentModel, type FastifyAiFlowOptions, type ModelPart } from '../../lib'
import { scriptedModel } from '../../lib/testing'
import { recordingHook, type ModelCallRecord } from '../../lib/agent/model-calls'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, post } from '../fixtures/helpers'

const GREETING = 'Welcome to Luigi\'s! How can I help you?'

async function plugin (t: { teardown: (fn: () => unknown) => void }, options: FastifyAiFlowOptions): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { replyTimeout: 1000, ...options })
  t.teardown(() => app.close())
  return app
}

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

/** A line whose agent has the options a test gives. */
function desk (model: AgentModel, options: { history?: number, modelOptions?: Record<string, unknown> } = {}) {
  return setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        instructions: 'Help.',
        tools: { note: { description: 'Note', parameters: Type.Object({}), then: 'done' } },
        onError: 'failed',
        ...options
      }),
      done: {},
      failed: {}
    }
  })
}

t.test('the answer after a refused tool call no longer overwrites the refusal in the conversation', async (t) => {
  const model = scriptedModel([{ text: 'One. Two.', tool: { name: 'cancel_booking' } }, 'Fine.', 'Sure.'])
  const app = await plugin(t, { flow: restaurantFlow(model) })
  await post(app, event('session_start', 'c'))
  const reply = await post(app, event('user_speak', 'c', { text: 'Cancel it' }))
  t.same(reply.body.map((action: { text: string }) => action.text), ['One.', 'Two.', 'Fine.'])
  const refusal = { role: 'tool', name: 'cancel_booking', args: {}, ok: false, result: 'there is no tool "cancel_booking" here; the tools are: confirm_booking, transfer_to_person, end_call, check_availability, book_table' }
  t.same((await memory(app, 'c')).messages, [
    { role: 'assistant', text: GREETING },
    { role: 'caller', text: 'Cancel it' },
    { role: 'assistant', text: 'One. Two. Fine.' },
    refusal
  ], 'the answer whole, the refusal after it')
  await post(app, event('user_speak', 'c', { text: 'Thanks' }))
  t.same(model.requests[2].messages.slice(2), [{ role: 'assistant', text: 'One. Two. Fine.' }, refusal, { role: 'caller', text: 'Thanks' }], 'the model is never told it said "undefined Fine."')
})

t.test('a greeting said again after a tool call with text begins a new answer instead of overwriting the tool entry', async (t) => {
  const model = scriptedModel([{ text: 'Let me note that.', tool: { name: 'note', args: {} } }])
  // The agent's `note` leads to a menu whose 2 comes back into the agent, which greets again.
  const flow = setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        instructions: 'Help.',
        greeting: 'What shall I change?',
        tools: { note: { description: 'Note', parameters: Type.Object({}), then: 'confirm' } },
        onError: 'confirm'
      }),
      confirm: { on: { dtmf_received: 'talk' } }
    }
  })
  const app = await plugin(t, { flow })
  await post(app, event('session_start', 'g'))
  await post(app, event('user_speak', 'g', { text: 'Four at seven on Christmas Eve' }))
  await post(app, event('dtmf_received', 'g', { digit: '2' }))
  t.same((await memory(app, 'g')).messages.slice(1), [
    { role: 'caller', text: 'Four at seven on Christmas Eve' },
    { role: 'assistant', text: 'Let me note that.' },
    { role: 'tool', name: 'note', args: {}, ok: true, result: 'taken' },
    { role: 'assistant', text: 'What shall I change?' }
  ])
})

t.test('with a small history, a barge-in after the answer was trimmed away no longer fails the call', async (t) => {
  const model = scriptedModel([{ text: 'One.', tool: { name: 'nope' } }, { tool: { name: 'nope' } }, ''])
  const app = await plugin(t, { flow: desk(model, { history: 2 }) })
  await post(app, event('session_start', 'h'))
  t.same((await post(app, event('user_speak', 'h', { text: 'Hi' }))).body, { type: 'speak', session_id: 'h', text: 'One.' })
  t.same((await memory(app, 'h')).messages.map((message) => message.role), ['tool', 'tool'], 'the answer being spoken was trimmed away')
  const barge = await post(app, event('user_speech_started', 'h'))
  t.equal(barge.status, 204, 'no reply over the webhook: the barge_in leads the next one')
  const call = await app.aiFlow.getCall('h')
  t.equal(call?.pendingActions, 1, 'the answer still playing is stopped')
  t.same(call?.state, { talk: 'listening' }, 'the call goes on, not to the fallback')
  t.same((call?.context as { agent: AgentMemory }).agent.messages.map((message) => message.role), ['tool', 'tool'])
})

t.test('with record on, a function in modelOptions no longer fails every model turn; the recording keeps what JSON can', async (t) => {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const model = scriptedModel(['Hello there.'])
  const app = await plugin(t, { flow: desk(model, { modelOptions: { temperature: 0.2, transform: () => 'x' } }), record: { stream } })
  await post(app, event('session_start', 'r'))
  t.same((await post(app, event('user_speak', 'r', { text: 'Hi' }))).body, { type: 'speak', session_id: 'r', text: 'Hello there.', user_input_timeout_seconds: 8 })
  t.equal(typeof model.requests[0].options?.transform, 'function', 'the model got the options as they are')
  const [call] = parseRecording(text)
  t.same(call.models?.[0].request.options, { temperature: 0.2 }, 'the function is left out of the recording')
  t.equal(call.models?.[0].error, undefined)
})

t.test('a recording leaves out each part of a request JSON cannot carry, and the model is asked all the same', async (t) => {
  const kept: ModelCallRecord[] = []
  const hook = recordingHook((record) => kept.push(record), () => 5, () => {})
  const odd = { count: 1n }
  const request = { instructions: 'i', messages: [{ role: 'tool' as const, name: 'n', args: odd, ok: false, result: 'no' }], tools: [{ name: 'n', description: 'd', parameters: odd as never }], options: { seed: 2n }, signal: new AbortController().signal }
  async function * answer (): AsyncIterable<ModelPart> { yield { type: 'text', text: 'ok' } }
  const parts: ModelPart[] = []
  for await (const part of hook.stream(request, answer)) parts.push(part)
  t.same(parts, [{ type: 'text', text: 'ok' }])
  t.same(kept, [{ at: 5, n: 1, request: { instructions: 'i', messages: [], tools: [] }, parts: [{ ms: 0, part: { type: 'text', text: 'ok' } }] }])
})
