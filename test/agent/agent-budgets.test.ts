import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { assign } from 'xstate'
import { agent, fastifyAiFlow, parseRecording, setupFlow, type AgentHistory, type AgentMemory, type AgentModel, type FastifyAiFlowOptions } from '../../lib'
import { replayRecording, scriptedModel, type ScriptedAnswer } from '../../lib/testing'
import { maskNumbersIn } from '../../lib/recording/redact'
import { event, post } from '../fixtures/helpers'
import { connect } from '../fixtures/ws-client'

interface Context { agent?: AgentMemory, caller?: string }

/** A desk whose instructions name the caller's number, as an author might write them. */
function desk (model: AgentModel, options: { history?: AgentHistory, turnLimit?: number } = {}) {
  return setupFlow({ types: { context: {} as Context } }).createMachine({
    initial: 'start',
    context: {},
    states: {
      start: { on: { session_start: { target: 'talk', actions: assign({ caller: ({ event }) => event.session.phone_number }) } } },
      talk: agent({
        id: 'talk',
        model,
        instructions: ({ context }) => `Help the caller. Their number is ${String(context.caller)}.`,
        tools: { note: { description: 'Note', parameters: Type.Object({}), then: 'done' } },
        onError: 'done',
        ...options
      }),
      done: {}
    }
  })
}

async function plugin (t: { teardown: (fn: () => unknown) => void }, options: FastifyAiFlowOptions): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { replyTimeout: 1000, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

function recorded (): { stream: PassThrough, text: () => string } {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  return { stream, text: () => text }
}

const LONG = 'blah '.repeat(20_000)

t.test('a caller turn longer than the turn limit is cut, and marked, before it reaches the model; the event is answered all the same', async (t) => {
  const model = scriptedModel(['Sorry, go on.', 'Right.'])
  const app = await plugin(t, { flow: desk(model), bodyLimit: 1_000_000 })
  await post(app, event('session_start', 'l'))
  const reply = await post(app, event('user_speak', 'l', { text: LONG }))
  t.equal(reply.status, 200, 'a 100,000-character turn below bodyLimit is not refused')
  t.same(model.requests[0].messages, [{ role: 'caller', text: LONG.slice(0, 2000), cut: true }], 'the model got its first 2,000 characters, marked cut')
  await post(app, event('user_speak', 'l', { text: 'x'.repeat(2000) }))
  t.same(model.requests[1].messages.at(-1), { role: 'caller', text: 'x'.repeat(2000) }, 'a turn of exactly the limit is whole')
})

t.test('turnLimit sets the budget of a caller turn, over the WebSocket too', async (t) => {
  const model = scriptedModel(['Yes.'])
  const app = await plugin(t, { flow: desk(model, { turnLimit: 10 }), websocket: true })
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'w'))
  client.send(event('user_speak', 'w', { text: 'A table for four, please' }))
  t.match(await client.next(), { text: 'Yes.' })
  t.same(model.requests[0].messages, [{ role: 'caller', text: 'A table fo', cut: true }])
})

t.test('history bounded in characters: the newest messages within the budget are sent, the newest always', async (t) => {
  const model = scriptedModel(['Twelve chars', 'Twelve chars', 'Twelve chars'])
  const app = await plugin(t, { flow: desk(model, { history: { characters: 30 } }) })
  await post(app, event('session_start', 'h'))
  await post(app, event('user_speak', 'h', { text: 'first turn' }))
  await post(app, event('user_speak', 'h', { text: 'second turn' }))
  t.same(model.requests[1].messages, [{ role: 'assistant', text: 'Twelve chars' }, { role: 'caller', text: 'second turn' }], '12 + 11 characters; the first turn would make 33')
  await post(app, event('user_speak', 'h', { text: 'a third turn, longer than the whole budget' }))
  t.same(model.requests[2].messages, [{ role: 'caller', text: 'a third turn, longer than the whole budget' }])
  t.same(((await app.aiFlow.getCall('h'))?.context as Context).agent?.messages, [{ role: 'assistant', text: 'Twelve chars' }], 'the conversation kept is bounded the same way: the answer alone')
})

t.test('history as a number bounds the messages and keeps the default budget of 20,000 characters', async (t) => {
  const model = scriptedModel(Array.from({ length: 12 }, () => 'Ok.'))
  const app = await plugin(t, { flow: desk(model, { history: 100 }) })
  await post(app, event('session_start', 'n'))
  for (let turn = 0; turn < 12; turn++) await post(app, event('user_speak', 'n', { text: String(turn).repeat(2000).slice(0, 2000) }))
  const last = model.requests[11].messages
  t.equal(last.length, 18, 'nine answers and nine turns: one more turn would make 20,027 characters')
  t.equal(last.reduce((sum, message) => sum + (message as { text: string }).text.length, 0), 18_027)
})

t.test('a recorded model call masks the caller\'s number wherever it appears, and holds only the messages new since the call\'s previous request', async (t) => {
  const { stream, text } = recorded()
  const answers: ScriptedAnswer[] = ['One.', 'Two.', { text: 'Noted.', tool: { name: 'nope', args: { callback: '+1234567890' } } }, 'Three.']
  const app = await plugin(t, { flow: desk(scriptedModel(answers), { history: 4 }), record: { stream } })
  await post(app, event('session_start', 'r'))
  for (const turn of ['a', 'b', 'c']) await post(app, event('user_speak', 'r', { text: turn }))
  t.notOk(text().includes('1234567890'), 'the number is nowhere in clear')
  const [call] = parseRecording(text())
  const requests = (call.models ?? []).map((model) => model.request)
  t.match(requests[0].instructions, 'Their number is +********90.')
  t.same(requests.map((request) => [request.kept, request.messages.map((message) => message.role)]), [
    [undefined, ['caller']],
    [{ from: 0, count: 1 }, ['assistant', 'caller']],
    [{ from: 1, count: 2 }, ['assistant', 'caller']],
    [{ from: 0, count: 4 }, ['tool']]
  ], 'each message once: the history of 4 trimmed the first turn before the third request')
  t.match(call.models?.[2].parts, [{ part: { text: 'Noted.' } }, { part: { type: 'tool-call', args: { callback: '+********90' } } }])
  const result = await replayRecording(parseRecording(text()), desk(scriptedModel([]), { history: 4 }))
  t.same([result.differences, result.modelDifferences, result.errors], [[], [], []], 'the recording replays exactly')
  const changed = await replayRecording(parseRecording(text()), desk(scriptedModel([]), { history: 3 }))
  t.match(changed.modelDifferences, [{ position: 3, recorded: { messages: [{ text: 'One.' }, {}, {}, {}] }, replayed: { messages: [{ text: 'b' }, {}, {}] } }], 'a difference shows the whole requests')
})

t.test('a caller who says their own number: masked in the model call\'s line, and the call still replays without a difference', async (t) => {
  const { stream, text } = recorded()
  const app = await plugin(t, { flow: desk(scriptedModel(['Noted.', 'Bye.'])), record: { stream } })
  await post(app, event('session_start', 'o'))
  await post(app, event('user_speak', 'o', { text: 'Call me on +1234567890' }))
  await post(app, event('user_speak', 'o', { text: 'Thanks' }))
  const calls = parseRecording(text())
  t.same(calls[0].models?.[0].request.messages, [{ role: 'caller', text: 'Call me on +********90' }])
  const result = await replayRecording(calls, desk(scriptedModel([])))
  t.same([result.differences, result.modelDifferences], [[], []])
  for (const changed of ['Thank', 'Thinks']) {
    const other = await replayRecording(calls.map((call) => ({ ...call, turns: call.turns.map((turn) => turn.event.type === 'user_speak' && turn.event.text === 'Thanks' ? { ...turn, event: { ...turn.event, text: changed } } : turn) })), desk(scriptedModel([])))
    t.match(other.modelDifferences, [{ position: 2, replayed: { messages: [{}, {}, { text: changed }] } }], 'another request still differs, of another length or not')
  }
})

t.test('with redactPhoneNumbers false, the recorded model calls keep the number', async (t) => {
  const { stream, text } = recorded()
  const app = await plugin(t, { flow: desk(scriptedModel(['Hi.'])), record: { stream, redactPhoneNumbers: false } })
  await post(app, event('session_start', 'p'))
  await post(app, event('user_speak', 'p', { text: 'Hello' }))
  t.match(parseRecording(text())[0].models?.[0].request.instructions, 'Their number is +1234567890.')
})

t.test('masking a session\'s numbers: short values and a missing session leave everything as it is', async (t) => {
  const value = { text: 'Call 112 or +4915790000687, 004915790000687 or 4915790000687.' }
  t.same(maskNumbersIn(value, undefined), value)
  t.same(maskNumbersIn(value, { id: 'x', phone_number: '112', to_phone_number: 7 }), value, 'three digits would mask ordinary numbers')
  t.same(maskNumbersIn(value, { id: 'x', from_phone_number: '+4915790000687' }), { text: 'Call 112 or +***********87, 00***********87 or ***********87.' })
})

t.test('model calls asked in the same ms are read in the order they were asked, a line without its place first', async (t) => {
  const line = (n: number | undefined, text: string, at = 7): string => JSON.stringify({ sessionId: 's', model: { at, n, request: { instructions: text, messages: [], tools: [] }, parts: [] } })
  const [call] = parseRecording([line(1, 'later', 8), line(2, 'second'), line(undefined, 'older'), line(1, 'first'), line(undefined, 'older too')].join('\n'))
  t.same(call.models?.map((model) => model.request.instructions), ['older', 'older too', 'first', 'second', 'later'])
})
