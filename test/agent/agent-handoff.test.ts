import { randomUUID } from 'node:crypto'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, hangup, InvalidFragmentError, setupFlow, speak, toMermaid, type AgentMemory, type AgentMessage, type AgentModel, type FastifyAiFlowOptions, type Handoff } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { scriptedModel, simulateCall, type ScriptedAnswer, type SeenRequest } from '../../lib/testing'
import { requestOfCall } from '../../lib/testing/scripted-model'
import { toStatelyConfig } from '../../lib/tools/export'
import { checkFlow } from '../../lib/tools/check'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, post } from '../fixtures/helpers'
import { connect, type Client } from '../fixtures/ws-client'

interface Context { agent?: AgentMemory, topic: string }

const REASON = Type.Object({ reason: Type.String() })

interface Extra {
  deskHistory?: number
  billingGreeting?: string
  modelTimeout?: number
}

/** A front desk that hands over to billing through `to_billing` with `handoff`; billing may hand back, or end the call. */
function flow (desk: AgentModel, billing: AgentModel, handoff: true | Handoff<{ reason: string }, Context>, extra: Extra = {}) {
  return setupFlow({ types: { context: {} as Context } }).createMachine({
    id: 'desk-line',
    context: { topic: 'bills' },
    initial: 'start',
    states: {
      start: { on: { session_start: 'desk' } },
      desk: agent({
        id: 'desk',
        model: desk,
        greeting: 'Front desk.',
        instructions: 'You are the front desk.',
        ...(extra.deskHistory === undefined ? {} : { history: extra.deskHistory }),
        ...(extra.modelTimeout === undefined ? {} : { modelTimeout: extra.modelTimeout }),
        tools: {
          to_billing: { description: 'Hand the call to billing', parameters: REASON, then: 'billing', handoff },
          done: { description: 'The caller is done', parameters: Type.Object({}), then: 'bye' }
        },
        onError: { target: 'sorry', actions: emit(({ event }) => speak(`Sorry: ${event.output.error}`)) }
      }),
      billing: agent({
        id: 'billing',
        model: billing,
        ...(extra.billingGreeting === undefined ? {} : { greeting: extra.billingGreeting }),
        instructions: 'You are billing.',
        tools: {
          back: { description: 'Hand the call back to the front desk', parameters: Type.Object({}), then: 'desk', handoff: true },
          done: { description: 'The caller is done', parameters: Type.Object({}), then: 'bye' }
        },
        onError: { target: 'sorry', actions: emit(({ event }) => speak(`Sorry: ${event.output.error}`)) }
      }),
      bye: { entry: [emit(speak('Goodbye.')), emit(hangup())] },
      sorry: { type: 'final' }
    }
  })
}

const texts = (body: unknown): unknown[] => (body === undefined ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)
const lines = (messages: readonly AgentMessage[]): string[] => messages.map((message) => message.role === 'tool' ? `tool ${message.name}${message.handoff === undefined ? '' : ` from ${message.handoff}`}: ${message.result}` : `${message.role}: ${message.text}`)

/** The front desk's two answers: it talks once, then hands over with what it says before. */
const DESK: ScriptedAnswer[] = ['Hello, how can I help?', { text: 'Putting you through.', tool: { name: 'to_billing', args: { reason: 'a wrong bill' } } }]
const NOTE = 'The call was handed over to you by the agent "desk" (to_billing {"reason":"a wrong bill"}). Carry on with the caller from here.'

async function webhook (t: { teardown: (fn: () => unknown) => void }, machine: ReturnType<typeof flow>, options: Partial<FastifyAiFlowOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: machine, replyTimeout: 2000, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

async function socket (t: { teardown: (fn: () => unknown) => void }, machine: ReturnType<typeof flow>): Promise<{ app: FastifyInstance, client: Client }> {
  const app = await webhook(t, machine, { websocket: true })
  const client = await connect(app)
  t.teardown(() => client.close())
  return { app, client }
}

/** The call's state value, as a record of the states it is in. */
async function state (app: FastifyInstance, id: string): Promise<Record<string, unknown>> {
  return (await app.aiFlow.getCall(id))?.state as Record<string, unknown>
}

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

/** A deferred the test settles by hand. */
function gate<T> (): { promise: Promise<T>, open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => { open = resolve })
  return { promise, open }
}

/** Over the webhook: the greeting, a turn with the desk, and the turn that hands over; the reply to it. */
async function handOver (app: FastifyInstance, id: string): Promise<unknown[]> {
  await post(app, event('session_start', id))
  await post(app, event('user_speak', id, { text: 'Hi' }))
  return texts((await post(app, event('user_speak', id, { text: 'My bill is wrong' }))).body)
}

const BEFORE = ['assistant: Front desk.', 'caller: Hi', 'assistant: Hello, how can I help?', 'caller: My bill is wrong', 'assistant: Putting you through.']

t.test('over HTTP, a handoff carries the whole conversation by default, and the new agent answers at once with the note', async (t) => {
  const billing = scriptedModel(['Billing here. What is wrong?', { tool: { name: 'done' } }])
  const app = await webhook(t, flow(scriptedModel(DESK), billing, true))
  t.same(await handOver(app, 'c'), ['Putting you through.', 'Billing here.', 'What is wrong?'], 'billing answers in the reply to the turn that led there')
  t.equal(billing.requests.length, 1)
  const [request] = billing.requests
  t.same(lines(request.messages), [...BEFORE, `tool to_billing from desk: ${NOTE} The conversation so far is above.`])
  t.equal(request.instructions, 'You are billing.', 'with its own instructions')
  t.same(request.tools.map((tool) => tool.name), ['back', 'done'], 'and its own tools')
  t.match((await app.aiFlow.getCall('c'))?.state, { billing: 'listening' })
  t.equal((await memory(app, 'c')).handover, undefined, 'billing took the call over')
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Never mind' }))).body), ['Goodbye.', 'hangup'])
  t.same(lines(billing.requests[1].messages).slice(-3), [`tool to_billing from desk: ${NOTE} The conversation so far is above.`, 'assistant: Billing here. What is wrong?', 'caller: Never mind'])
})

t.test('over HTTP, a handoff that keeps the last messages, and one with a summary, sync or async, and a note of the author\'s', async (t) => {
  const seen: unknown[] = []
  const cases: Array<[string, Handoff<{ reason: string }, Context>, string[]]> = [
    ['the last two messages', { conversation: 2 }, ['caller: My bill is wrong', 'assistant: Putting you through.', `tool to_billing from desk: ${NOTE} The last messages of the conversation are above.`]],
    ['an async summary', {
      conversation: async ({ messages, from, tool, args, context, signal }) => {
        seen.push({ messages: messages.length, from, tool, reason: args.reason, topic: context.topic, signal: signal instanceof AbortSignal })
        await new Promise((resolve) => setImmediate(resolve))
        return `the caller said ${messages.filter((message) => message.role === 'caller').map((message) => message.text).join(', then ')}`
      }
    }, [`tool to_billing from desk: ${NOTE} What was said before: the caller said Hi, then My bill is wrong`]],
    ['a sync summary and an own note', {
      conversation: () => 'a wrong bill',
      note: ({ from, tool, args, context, summary }) => `${from} sent you the call with ${tool} (${args.reason}, about ${context.topic}): ${summary ?? 'no summary'}`
    }, ['tool to_billing from desk: desk sent you the call with to_billing (a wrong bill, about bills): a wrong bill']],
    ['an own note without a summary', { note: ({ summary }) => `From the desk; ${summary ?? 'no summary'}.` }, [...BEFORE, 'tool to_billing from desk: From the desk; no summary.']]
  ]
  for (const [name, handoff, expected] of cases) {
    const billing = scriptedModel(['Billing here.'])
    const app = await webhook(t, flow(scriptedModel(DESK), billing, handoff))
    t.same(await handOver(app, 'c'), ['Putting you through.', 'Billing here.'], name)
    t.same(lines(billing.requests[0].messages), expected, `${name}: what billing's model got`)
    t.same(lines((await memory(app, 'c')).messages), [...expected, 'assistant: Billing here.'], `${name}: what the call keeps`)
  }
  t.same(seen, [{ messages: 5, from: 'desk', tool: 'to_billing', reason: 'a wrong bill', topic: 'bills', signal: true }], 'the summary got the conversation without the handoff\'s own call')
})

t.test('over the WebSocket, the desk\'s line goes out, then the new agent\'s greeting, then its answer; a handoff back restarts each scripted list', async (t) => {
  const desk = scriptedModel(DESK.concat('Front desk again. What else?'))
  const billing = scriptedModel([{ text: 'Billing here.', tool: { name: 'back' } }])
  const { app, client } = await socket(t, flow(desk, billing, { conversation: 3 }, { billingGreeting: 'Billing.' }))
  // The frames an event's actions come in depend on when the models answer: the actions are taken as they come.
  const queued: unknown[] = []
  const take = async (count: number): Promise<unknown[]> => {
    while (queued.length < count) queued.push(...texts(await client.next()))
    return queued.splice(0, count)
  }
  client.send(event('session_start', 'w'))
  t.same(await take(1), ['Front desk.'])
  client.send(event('user_speak', 'w', { text: 'Hi' }))
  t.same(await take(1), ['Hello, how can I help?'])
  client.send(event('user_speak', 'w', { text: 'My bill is wrong' }))
  t.same(await take(3), ['Putting you through.', 'Billing.', 'Billing here.'], 'the greeting is said on entry, and the model is asked at once, the handover kept through the greeting')
  t.same(lines(billing.requests[0].messages), [
    'assistant: Hello, how can I help?', 'caller: My bill is wrong', 'assistant: Putting you through.',
    `tool to_billing from desk: ${NOTE} The last messages of the conversation are above.`,
    'assistant: Billing.'
  ])
  // Billing handed the call straight back: the desk answers at once, told it came from billing.
  t.same(await take(3), ['Front desk.', 'Front desk again.', 'What else?'])
  t.equal(queued.length + client.queued, 0)
  t.match(desk.requests[2].messages.at(-2), { role: 'tool', name: 'back', handoff: 'billing', result: 'The call was handed over to you by the agent "billing" (back). Carry on with the caller from here. The conversation so far is above.' })
  await eventually(async () => (await state(app, 'w')).desk === 'listening')
})

t.test('a summary that takes its time: the caller may talk and barge in meanwhile; what they say follows the note', async (t) => {
  for (const deskHistory of [undefined, 1]) {
    const summarised = gate<string>()
    const billing = scriptedModel(['Billing here.'])
    const { app, client } = await socket(t, flow(scriptedModel(DESK), billing, { conversation: async () => await summarised.promise }, { deskHistory }))
    const next = async (): Promise<unknown[]> => texts(await client.next())
    client.send(event('session_start', 'w'))
    await next()
    client.send(event('user_speak', 'w', { text: 'Hi' }))
    await next()
    client.send(event('user_speak', 'w', { text: 'My bill is wrong' }))
    t.same(await next(), ['Putting you through.'])
    await eventually(async () => (await state(app, 'w')).desk === 'handingOff')
    client.send(event('user_speech_started', 'w'))
    t.same(await next(), ['barge_in'], 'the line playing stops')
    client.send(event('user_input_timeout', 'w'))
    client.send(event('user_speak', 'w', { text: 'Hello?' }))
    await eventually(async () => (await memory(app, 'w')).messages.at(-1)?.role === 'caller')
    t.match((await app.aiFlow.getCall('w'))?.state, { desk: 'handingOff' }, `the summary goes on (history ${String(deskHistory)})`)
    summarised.open('a wrong bill')
    t.same(await next(), ['Billing here.'])
    t.same(lines(billing.requests[0].messages), [`tool to_billing from desk: ${NOTE} What was said before: a wrong bill`, 'caller: Hello?'], 'even when the history trimmed the handoff\'s call away meanwhile')
    t.equal(client.queued, 0)
  }
})

t.test('over the webhook, a slow summary with nothing said yet gets the filler; the new agent\'s answer leads the next reply', async (t) => {
  const summarised = gate<string>()
  const billing = scriptedModel(['Billing here.'])
  const app = await webhook(t, flow(scriptedModel(['Hello.', { tool: { name: 'to_billing', args: { reason: 'a wrong bill' } } }]), billing, { conversation: async () => await summarised.promise }), { replyTimeout: 200 })
  await post(app, event('session_start', 'f'))
  await post(app, event('user_speak', 'f', { text: 'Hi' }))
  t.same(texts((await post(app, event('user_speak', 'f', { text: 'My bill is wrong' }))).body), ['One moment, please.'])
  summarised.open('a wrong bill')
  await eventually(() => billing.requests.length === 1)
  await eventually(async () => (await state(app, 'f')).billing === 'listening')
  t.same(texts((await post(app, event('user_input_timeout', 'f'))).body), ['Billing here.', 'Are you still there?'])
})

t.test('a summary that fails, gives no text, or takes longer than modelTimeout takes onError', async (t) => {
  const cases: Array<[Handoff<{ reason: string }, Context>['conversation'], string]> = [
    [() => { throw new Error('boom') }, 'Sorry: the summary for to_billing failed: boom'],
    [async () => await Promise.resolve(undefined as unknown as string), 'Sorry: the summary for to_billing is no text'],
    [async () => await new Promise<string>(() => {}), 'Sorry: the summary for the handoff took too long']
  ]
  for (const [conversation, said] of cases) {
    const call = simulateCall(flow(scriptedModel(DESK), scriptedModel([]), { conversation }, { modelTimeout: 5 }), { replyTimeout: 10 })
    t.teardown(() => call.close())
    await call.start()
    await call.say('Hi')
    const reply = texts([...await call.say('My bill is wrong'), ...await call.wait(5000)])
    t.same(reply, ['Putting you through.', said])
  }
})

t.test('across two instances sharing Redis: handed over on one, the call goes on on the other with the conversation intact', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  // Each instance its own scripted models, answering by the call's conversation.
  const models = (): [AgentModel, AgentModel & { requests: SeenRequest[] }] => [
    scriptedModel(DESK, { perCall: true }),
    scriptedModel(['Billing here. What is wrong?', 'I see. It is fixed.', { tool: { name: 'done' } }], { perCall: true })
  ]
  const [deskA, billingA] = models()
  const [deskB, billingB] = models()
  const a = await webhook(t, flow(deskA, billingA, { conversation: async ({ messages }) => `${messages.length} messages` }), { store: new RedisStore({ url, prefix }) })
  const b = await webhook(t, flow(deskB, billingB, { conversation: async ({ messages }) => `${messages.length} messages` }), { store: new RedisStore({ url, prefix }) })
  const id = randomUUID()
  t.same(await handOver(a, id), ['Putting you through.', 'Billing here.', 'What is wrong?'])
  t.same(texts((await post(b, event('user_speak', id, { text: 'I was charged twice' }))).body), ['I see.', 'It is fixed.'], 'billing\'s second answer, on the other instance')
  t.same(lines(billingB.requests[0].messages), [
    `tool to_billing from desk: ${NOTE} What was said before: 5 messages`,
    'assistant: Billing here. What is wrong?',
    'caller: I was charged twice'
  ], 'the conversation came through the store as it was')
  t.same(texts((await post(a, event('user_speak', id, { text: 'Thanks' }))).body), ['Goodbye.', 'hangup'])
  t.same(billingA.requests.map((request) => request.messages.length), [1, 5], 'its third answer on the first instance again, after the second\'s')
})

t.test('the scripted model counts a call\'s requests again from a handoff', async (t) => {
  const entry: AgentMessage = { role: 'tool', name: 'to_billing', args: {}, ok: true, result: 'note', handoff: 'desk' }
  const caller = (text: string): AgentMessage => ({ role: 'caller', text })
  t.equal(requestOfCall([caller('a'), caller('b')]), 1)
  t.equal(requestOfCall([caller('a'), caller('b'), entry]), 0, 'the new agent\'s first request, before the caller speaks again')
  t.equal(requestOfCall([caller('a'), entry, { role: 'assistant', text: 'Hi' }, caller('c')]), 1)
  t.equal(requestOfCall([caller('a'), entry, caller('c'), { role: 'tool', name: 'x', args: {}, ok: false, result: 'no' }]), 2)
})

t.test('the diagram and the export show a handoff as a transition between the two agents', async (t) => {
  const machine = flow(scriptedModel([]), scriptedModel([]), { conversation: () => '' })
  const diagram = toMermaid(machine)
  t.match(diagram, 'desk --> billing : to_billing (handoff)')
  t.match(diagram, 'billing --> desk : back (handoff)')
  t.match(diagram, 'desk --> bye : done\n')
  const config = toStatelyConfig(machine) as any
  t.match(config.states.desk.onDone[0], { target: 'billing', guard: { type: 'tool', params: { name: 'to_billing', handoff: true } } })
  t.same(config.states.desk.meta.handoffs, ['to_billing'])
  t.ok(config.states.desk.states.handingOff, 'the state where the summary is made')
  t.equal(config.states.billing.states.handingOff, undefined, 'only where a handoff has a summary')
  t.same(checkFlow(machine), [])
})

t.test('a handoff that is not one is refused when the flow is built', async (t) => {
  const bad = (handoff: unknown): unknown => agent({
    id: 'a',
    model: scriptedModel([]),
    instructions: 'x',
    tools: { go: { description: 'Go', parameters: Type.Object({}), then: 'b', handoff: handoff as true } },
    onError: 'b'
  })
  t.throws(() => bad(5), new InvalidFragmentError('a', 'tool go: handoff must be true or { conversation?, note? }'))
  t.throws(() => bad(null), /handoff must be true or/)
  for (const conversation of [0, 1.5, 'half']) {
    t.throws(() => bad({ conversation }), /tool go: handoff.conversation must be 'whole', a positive number of messages, or a function that summarises it/)
  }
  t.throws(() => bad({ note: 'From the desk.' }), /tool go: handoff.note must be a function that returns the note/)
  t.doesNotThrow(() => bad({ conversation: 'whole' }))
  t.doesNotThrow(() => bad({ conversation: 4, note: () => 'n' }))
})
