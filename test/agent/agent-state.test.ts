import t from 'tap'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, InvalidFragmentError, setupFlow, speak, toMermaid, type AgentMemory, type AgentMessage, type AgentModel, type SpeakFlowAction } from '../../lib'
import { scriptedModel, simulateCall } from '../../lib/testing'
import { requestOfCall } from '../../lib/testing/scripted-model'
import { cutOff, noted, played, said } from '../../lib/agent/memory'
import { SentenceSplitter } from '../../lib/agent/sentences'

interface Context { agent?: AgentMemory, topic?: string }

/** Options of the agent under test, beside those the flow sets. */
interface Extra {
  modelTimeout?: number
  filler?: false
  silence?: string
  greeting?: SpeakFlowAction | ((args: { context: Context }) => string)
  history?: number | ((messages: AgentMessage[]) => AgentMessage[])
}

function flow (model: AgentModel, options: Extra = {}) {
  return setupFlow({ types: { context: {} as Context } }).createMachine({
    id: 'assistant',
    context: { topic: 'the weather' },
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        instructions: ({ context }) => `Talk about ${String(context.topic)}.`,
        tools: {},
        onError: { target: 'sorry', actions: emit(({ event }) => speak(`Sorry: ${event.output.error}`)) },
        ...(options as object)
      }),
      sorry: {}
    }
  })
}

const texts = (actions: Array<{ type: string, text?: string }>): unknown[] => actions.map((action) => action.text ?? action.type)

t.test('a model that takes longer than modelTimeout is stopped, and the state takes onError', async (t) => {
  const model = scriptedModel([{ text: 'Late.', firstDelay: 60_000 }])
  const call = simulateCall(flow(model, { modelTimeout: 5, filler: false }), { replyTimeout: 10 })
  t.teardown(() => call.close())
  t.same(await call.start(), [], 'no greeting: the model speaks at the caller\'s first turn')
  t.same(await call.say('Hello'), [], 'no filler: the state has none')
  t.same(texts(await call.wait(5000)), ['Sorry: the model took too long'])
  t.equal(model.aborted, 1, 'the model was stopped')
  t.match(model.requests[0].instructions, 'Talk about the weather.', 'instructions from the context')
})

t.test('a model that fails with something other than an Error: its message says what it threw', async (t) => {
  const model: AgentModel = {
    name: 'throws a string',
    async * stream () {
      yield { type: 'text', text: 'Hm' }
      throw 'no credit' // eslint-disable-line no-throw-literal
    }
  }
  const call = simulateCall(flow(model), { replyTimeout: 100 })
  t.teardown(() => call.close())
  await call.start()
  t.same(texts(await call.say('Hello')), ['Sorry: no credit'])
})

t.test('a state with no tools tells the model so when it calls one anyway; arguments that are not an object are named as such', async (t) => {
  const model = scriptedModel([{ text: 'One. Two.', tool: { name: 'hang_up' } }, 'Fine.'])
  const call = simulateCall(flow(model), { replyTimeout: 100 })
  t.teardown(() => call.close())
  await call.start()
  t.same(texts(await call.say('Hi')), ['One.', 'Two.', 'Fine.'], 'what it said before the refused call is spoken')
  t.match(model.requests[1].messages.at(-1), { role: 'tool', ok: false, result: 'there is no tool "hang_up" here; the tools are: none' })
})

t.test('greetings: said and remembered as text; one in SSML is said, not remembered; the history is bounded', async (t) => {
  const model = scriptedModel(['First.', 'Second.', 'Third.'])
  const call = simulateCall(flow(model, { greeting: speak({ ssml: '<speak>Hi</speak>' }), history: 3 }), { replyTimeout: 100 })
  t.teardown(() => call.close())
  t.same(await call.start(), [speak({ ssml: '<speak>Hi</speak>', user_input_timeout_seconds: 8 })])
  await call.say('a')
  t.same(model.requests[0].messages, [{ role: 'caller', text: 'a' }])
  await call.say('b')
  await call.say('c')
  t.same(model.requests[2].messages, [{ role: 'caller', text: 'b' }, { role: 'assistant', text: 'Second.' }, { role: 'caller', text: 'c' }], 'the last three messages')
  const trimmed = scriptedModel(['One.', 'Two.'])
  const summarised = simulateCall(flow(trimmed, {
    greeting: ({ context }) => `Hello, let us talk about ${String(context.topic)}.`,
    history: (messages) => messages.length > 2 ? [{ role: 'assistant', text: `(${messages.length - 2} earlier messages)` }, ...messages.slice(-2)] : messages
  }), { replyTimeout: 100 })
  t.teardown(() => summarised.close())
  t.same(texts(await summarised.start()), ['Hello, let us talk about the weather.'])
  await summarised.say('x')
  await summarised.say('y')
  t.same(trimmed.requests[1].messages, [{ role: 'assistant', text: '(2 earlier messages)' }, { role: 'assistant', text: 'One.' }, { role: 'caller', text: 'y' }])
})

t.test('silence gets the state\'s silence prompt; while the model thinks, silence changes nothing', async (t) => {
  const call = simulateCall(flow(scriptedModel(['Yes.']), { silence: 'Hello?' }), { replyTimeout: 100 })
  t.teardown(() => call.close())
  await call.start()
  t.same(texts(await call.silence()), ['Hello?'])
})

t.test('what the caller heard: sentences that finished playing, and the one cut off', async (t) => {
  let memory: AgentMemory = { messages: [{ role: 'caller', text: 'hi' }] }
  t.same(played(memory), memory, 'nothing playing: nothing to count')
  t.same(cutOff(memory), memory, 'nothing playing: nothing cut')
  t.same(noted(memory, [], 10), memory)
  memory = said(said(said(memory, 'One.', 10), 'Two.', 10), 'Three.', 10)
  memory = noted(memory, [{ role: 'tool', name: 'x', args: {}, ok: false, result: 'no' }], 10)
  memory = played(memory)
  t.same(cutOff(memory).messages, [
    { role: 'caller', text: 'hi' },
    { role: 'assistant', text: 'One. Two. —', interrupted: true },
    { role: 'tool', name: 'x', args: {}, ok: false, result: 'no' }
  ])
  memory = played(played(memory))
  t.same(cutOff(memory).messages[1], { role: 'assistant', text: 'One. Two. Three.' }, 'all played: nothing was cut')
})

t.test('sentences: complete once the next begins, or at a line break; abbreviations, numbers and blank lines do not cut one', async (t) => {
  const splitter = new SentenceSplitter()
  t.same(splitter.push('\n\nAt 7 p.m. we close. It is 3.5 km'), ['At 7 p.m. we close.'])
  t.same(splitter.push(' away!\n'), ['It is 3.5 km away!'], 'a line break ends one at once')
  t.same(splitter.push('"Really?" Yes.'), ['"Really?"'])
  t.equal(splitter.end(), 'Yes.')
  t.equal(splitter.end(), undefined)
})

t.test('the scripted model fails when asked once too often', async (t) => {
  const model = scriptedModel([])
  const parts = model.stream({ instructions: '', messages: [], tools: [], signal: new AbortController().signal })
  await t.rejects(async () => { for await (const part of parts) t.fail(String(part)) }, /the scripted model has only 0 answers/)
})

t.test('wrong options are refused when the flow is built, naming the state', async (t) => {
  const model = scriptedModel([])
  const base = { id: 'a', model, instructions: '', tools: {}, onError: 'x' }
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ id: '1a' }, /id must be/],
    [{ model: {} }, /model must be an AgentModel/],
    [{ tools: null }, /tools must be an object/],
    [{ tools: { 'a b': { parameters: Type.Object({}), then: 'x' } } }, /tool name "a b" must be/],
    [{ tools: { ok: { then: 'x' } } }, /tool ok needs parameters/],
    [{ tools: { ok: { parameters: Type.Object({}) } } }, /tool ok needs then/],
    [{ modelTimeout: 0 }, /modelTimeout must be a positive number/],
    [{ timeout: Infinity }, /timeout must be a positive number/],
    [{ history: 0 }, /history must be a positive integer/],
    [{ history: null }, /history must be a positive integer, \{ messages\?, characters\? \}/],
    [{ history: [40] }, /history must be/],
    [{ history: { messages: 1.5 } }, /history must be/],
    [{ history: { characters: 0 } }, /history must be/],
    [{ turnLimit: -1 }, /turnLimit must be a positive integer \(characters\)/],
    [{ noInput: 'Hello?', onNoInput: 'x' }, /noInput must be an array of lines/],
    [{ noInput: ['Hello?'] }, /noInput needs onNoInput/]
  ]
  for (const [change, message] of cases) {
    t.throws(() => agent({ ...base, ...change } as never), InvalidFragmentError)
    t.throws(() => agent({ ...base, ...change } as never), message)
  }
})

t.test('in a diagram an agent is one state, its exits labelled with its tools', async (t) => {
  const machine = setupFlow({}).createMachine({
    initial: 'talk',
    states: {
      talk: agent({
        id: 'talk',
        model: scriptedModel([]),
        instructions: 'x',
        tools: { book: { description: 'Book', parameters: Type.Object({}), then: 'booked' } },
        onError: 'failed'
      }),
      booked: {},
      failed: {}
    }
  })
  const chart = toMermaid(machine)
  t.match(chart, /talk : agent/)
  t.match(chart, /talk --> booked : book/)
  t.match(chart, /talk --> failed : model failed/)
})

t.test('a scripted model per call counts the call\'s requests from its conversation: a caller turn, and a refused tool call, each ask once', async (t) => {
  const model = scriptedModel([{ tool: { name: 'nope' } }, 'First.', 'Second.'], { perCall: true })
  for (const id of ['one', 'two']) {
    const call = simulateCall(flow(model), { replyTimeout: 100 })
    t.teardown(() => call.close())
    await call.start()
    t.same(texts(await call.say('a')), ['First.'], `call ${id}: the refused call took the first answer, the next request the second`)
    t.same(texts(await call.say('b')), ['Second.'])
    t.same(texts(await call.say('c')), ['Sorry: the scripted model has only 3 answers for a call'])
  }
  t.equal(requestOfCall([]), 0)
})
