import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, hangup, setupFlow, speak, type AgentMemory, type AgentModel } from '../../lib'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, post } from '../fixtures/helpers'
import { AI_SDK_LINES, aiSdkLine, answering, calling, finish, saying } from '../fixtures/ai-sdk-lines'

/*
 * Luigi's line (examples/restaurant-agent.ts) over the webhook, its model
 * the adapter on each line of the SDK with that line's mock provider: what
 * the provider streams is spoken sentence by sentence, its tool calls take
 * transitions or run function tools whose results go back to it in the same
 * caller turn, and its errors take the state's fallback.
 */

// Both lines of the SDK loaded, one of them anew as an ES module, and Luigi's line served twelve times: more than tap's 30 s on a busy machine.
t.setTimeout(120_000)

const GREETING = 'Welcome to Luigi\'s! How can I help you?'
const FALLBACK = 'Sorry, I cannot help you right now. I am putting you through to a person.'
const BOOKING = { date: '2026-12-24', time: '19:00', people: 4 }

async function line (t: { teardown: (fn: () => unknown) => void }, model: AgentModel): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(model), replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const texts = (body: unknown): unknown[] => (body === undefined ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

/** The call's first turn: the greeting, then what the caller says; the reply's speak texts (and other actions' types). */
async function firstTurn (t: Test, app: FastifyInstance, said: string): Promise<unknown[]> {
  t.same(texts((await post(app, event('session_start', 'c'))).body), [GREETING])
  return texts((await post(app, event('user_speak', 'c', { text: said }))).body)
}

for (const name of AI_SDK_LINES) {
  t.test(name, async (t) => {
    const sdk = await aiSdkLine(t, name)
    const { aiSdkModel } = sdk

    t.test('a streamed answer is spoken a sentence at a time, however the deltas cut it', async (t) => {
      const provider = answering(sdk, [[...saying('Of course. For how ', 'many people, ', 'and when?'), finish('stop')]])
      const app = await line(t, aiSdkModel(provider))
      t.same(await firstTurn(t, app, 'I would like a table'), ['Of course.', 'For how many people, and when?'])
      t.match(provider.doStreamCalls[0].prompt, [
        { role: 'system', content: /Luigi's/ },
        { role: 'assistant', content: [{ type: 'text', text: GREETING }] },
        { role: 'user', content: [{ type: 'text', text: 'I would like a table' }] }
      ])
      t.same(provider.doStreamCalls[0].tools?.map((tool) => tool.name), ['confirm_booking', 'transfer_to_person', 'end_call', 'check_availability', 'book_table'])
      t.same((await memory(app, 'c')).messages.at(-1), { role: 'assistant', text: 'Of course. For how many people, and when?' })
    })

    t.test('a transition tool call leaves the agent: confirm_booking takes the call to the confirmation, its arguments in the context', async (t) => {
      const provider = answering(sdk, [[...saying('Let me note that.'), calling('p-1', 'confirm_booking', BOOKING), finish('tool-calls')]])
      const app = await line(t, aiSdkModel(provider))
      t.same(await firstTurn(t, app, 'Four people on Christmas Eve at seven'), [
        'Let me note that.',
        'Your table is booked. See you at Luigi\'s!',
        'hangup'
      ])
      const call = await app.aiFlow.getCall('c')
      t.same((call?.context as { booking: unknown }).booking, BOOKING)
      t.equal(call?.state, 'booked')
      t.equal(provider.doStreamCalls.length, 1)
    })

    t.test("a function tool's result goes back to the model in the same caller turn, and its answer follows in the reply", async (t) => {
      const provider = answering(sdk, [
        [...saying('Let me check.'), calling('p-1', 'check_availability', BOOKING), finish('tool-calls')],
        [...saying('Seven is free. Shall I ', 'book it?'), finish('stop')]
      ])
      const app = await line(t, aiSdkModel(provider))
      t.same(await firstTurn(t, app, 'Is seven free on Christmas Eve, for four?'), ['Let me check.', 'Seven is free.', 'Shall I book it?'])
      t.equal(provider.doStreamCalls.length, 2, 'the model was asked again in the same turn')
      t.match(provider.doStreamCalls[1].prompt.slice(-3), [
        { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolName: 'check_availability', input: BOOKING }] },
        { role: 'tool', content: [{ type: 'tool-result', toolName: 'check_availability', output: { type: 'text', value: '{"free":true}' } }] }
      ])
      t.match((await app.aiFlow.getCall('c'))?.state, { host: 'listening' }, 'the call stays with the agent')
    })

    t.test('parallel tool calls of one step all run, and the model gets every result in the same turn', async (t) => {
      const provider = answering(sdk, [
        [calling('p-1', 'check_availability', BOOKING), calling('p-2', 'check_availability', { ...BOOKING, time: '20:00' }), finish('tool-calls')],
        [...saying('Seven is free; eight is full.'), finish('stop')]
      ])
      const app = await line(t, aiSdkModel(provider))
      t.same(await firstTurn(t, app, 'Seven or eight on Christmas Eve, for four?'), ['Seven is free; eight is full.'])
      t.equal(provider.doStreamCalls.length, 2)
      const results = provider.doStreamCalls[1].prompt.flatMap((message) => message.role === 'tool' ? message.content : [])
      t.match(results, [
        { type: 'tool-result', toolName: 'check_availability', output: { type: 'text', value: '{"free":true}' } },
        { type: 'tool-result', toolName: 'check_availability', output: { type: 'text', value: '{"free":false}' } }
      ], 'both results, in the order of the calls (20:00 is booked out in the calendar)')
      t.equal(results.length, 2)
    })

    t.test("a provider's error takes the state's fallback; what it said before the error is not spoken", async (t) => {
      const provider = answering(sdk, [[...saying('Well.').slice(0, 2), { type: 'error', error: new Error('the provider is down') }]])
      const app = await line(t, aiSdkModel(provider))
      t.same(await firstTurn(t, app, 'Hello'), [FALLBACK, 'transfer'])
      t.match((await app.aiFlow.getCall('c'))?.state, 'fallback')
    })

    t.test("a state's modelOptions reach the provider, its provider options merged with the adapter's defaults", async (t) => {
      const provider = answering(sdk, [[...saying('Hello.'), finish('stop')]])
      const model = aiSdkModel(provider, { defaults: { maxRetries: 0, providerOptions: { openai: { store: false }, anthropic: { sendReasoning: false } } } })
      const flow = setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
        context: {},
        initial: 'start',
        states: {
          start: { on: { session_start: 'desk' } },
          desk: agent({
            id: 'desk',
            model,
            instructions: 'Answer briefly.',
            modelOptions: { temperature: 0.2, providerOptions: { openai: { reasoningEffort: 'low' } } },
            tools: { done: { description: 'The caller is done', parameters: Type.Object({}), then: 'bye' } },
            onError: 'bye'
          }),
          bye: { entry: [emit(speak('Goodbye.')), emit(hangup())] }
        }
      })
      const app = Fastify()
      await app.register(fastifyAiFlow, { flow, replyTimeout: 2000 })
      t.teardown(() => app.close())
      await post(app, event('session_start', 'c'))
      t.same(texts((await post(app, event('user_speak', 'c', { text: 'Hi' }))).body), ['Hello.'])
      t.match(provider.doStreamCalls[0], {
        temperature: 0.2,
        providerOptions: { openai: { store: false, reasoningEffort: 'low' }, anthropic: { sendReasoning: false } }
      })
    })
  })
}
