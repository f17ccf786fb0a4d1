import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow, parseRecording, type AgentMemory, type AgentModel } from '../../lib'
import { BILLING_ANSWERS, DESK_ANSWERS, frontDeskFlow } from '../../examples/front-desk'
import { frontDeskModels } from '../../examples/front-desk-model'
import { checkFlow } from '../../lib/tools/check'
import { toMermaid } from '../../lib/tools/mermaid'
import { replayRecording, scriptedModel, type SeenRequest } from '../../lib/testing'
import { event, post } from '../fixtures/helpers'
import { connect, type Client } from '../fixtures/ws-client'
import { startExample } from '../fixtures/example-server'

// It starts the example as a server of its own, which takes many seconds on a busy machine.
t.setTimeout(120_000)

type Models = { desk: AgentModel & { requests: SeenRequest[] }, billing: AgentModel & { requests: SeenRequest[] } }

async function line (t: { teardown: (fn: () => unknown) => void }, websocket = false): Promise<{ app: FastifyInstance, models: Models }> {
  const models = frontDeskModels({}) as Models
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: frontDeskFlow(models), websocket, replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, models }
}

const said = (body: unknown): unknown[] => (body === undefined ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)
const lines = (request: SeenRequest): string[] => request.messages.map((message) => message.role === 'tool' ? `tool ${message.name}: ${message.result}` : `${message.role}: ${message.text}`)

/** What billing's model is first given: the conversation with the front desk, and the note of the handoff. */
const HANDED_OVER = [
  'assistant: Welcome to Acme. How can I help you?',
  'caller: I have a question about my invoice',
  'assistant: Of course, I am putting you through to billing.',
  'tool transfer_to_billing: The call was handed over to you by the agent "desk" (transfer_to_billing {"reason":"a question about an invoice"}). Carry on with the caller from here. The conversation so far is above.'
]

t.test('Acme\'s models: scripted unless AI_FLOW_MODEL names a model of the AI SDK; billing\'s may be another', async (t) => {
  const scripted = frontDeskModels({})
  t.same([scripted.desk.name, scripted.billing.name], ['desk', 'billing'])
  const real = frontDeskModels({ AI_FLOW_MODEL: 'openai/gpt-4o-mini' })
  t.match([real.desk.name, real.billing.name], [/gpt-4o-mini/, /gpt-4o-mini/], 'made, not called: no network is needed for that')
  t.match(frontDeskModels({ AI_FLOW_MODEL: 'openai/gpt-4o-mini', AI_FLOW_BILLING_MODEL: 'anthropic/claude-haiku-4.5' }).billing.name, /claude-haiku/)
  t.equal(frontDeskModels({ AI_FLOW_MODEL: '' }).desk.name, 'desk')
})

t.test('over HTTP, the front desk hands the call to billing, which answers in the same caller turn with the conversation and the note', async (t) => {
  const { app, models } = await line(t)
  // Two calls: each agent's scripted model plays its part in every call.
  for (const id of ['a', 'b']) {
    t.same(said((await post(app, event('session_start', id))).body), ['Welcome to Acme. How can I help you?'])
    t.same(said((await post(app, event('user_speak', id, { text: 'I have a question about my invoice' }))).body), [
      'Of course, I am putting you through to billing.',
      'Hello, this is billing.',
      'What is the number of the invoice?'
    ], 'billing answers the turn that led to the handoff, in the same reply')
    t.match((await app.aiFlow.getCall(id))?.state, { billing: 'listening' })
    t.same(said((await post(app, event('user_speak', id, { text: 'It is 4711' }))).body), [
      'Invoice 4711 is for 129.50 euros, due on the 31st of December, and not paid yet.',
      'Anything else?'
    ], 'billing looked the invoice up with its own function tool')
    t.same(said((await post(app, event('user_speak', id, { text: 'No, thank you' }))).body), ['You are welcome.', 'Thank you for calling Acme. Goodbye!', 'hangup'])
  }
  t.equal(models.desk.requests.length, 2, 'the front desk was asked once per call')
  t.equal(models.billing.requests.length, 8, 'billing four times per call')
  const first = models.billing.requests[0]
  t.same(lines(first), HANDED_OVER, 'the conversation went with the call, and billing\'s model was told it was handed the call')
  t.match(first.instructions, /billing agent/, 'with its own instructions')
  t.same(first.tools.map((tool) => tool.name), ['transfer_to_person', 'end_call', 'find_invoice'], 'and its own tools')
  t.same(models.desk.requests[0].tools.map((tool) => tool.name), ['transfer_to_billing', 'transfer_to_person', 'end_call'])
  t.match(models.billing.requests[2].messages.at(-1), { role: 'tool', name: 'find_invoice', ok: true, result: '{"found":true,"amount":129.5,"currency":"EUR","due":"2026-12-31","paid":false}' })
  const memory = (await app.aiFlow.getCall('b'))?.context as { agent: AgentMemory }
  t.equal(memory.agent.handover, undefined, 'billing took the call over: nothing is left pending')
  t.equal(DESK_ANSWERS.length + BILLING_ANSWERS.length, 5, 'every scripted answer was used')
})

t.test('over the WebSocket, the front desk\'s line goes out, then billing\'s first sentence, as each is ready', async (t) => {
  const { app, models } = await line(t, true)
  const client: Client = await connect(app)
  t.teardown(() => client.close())
  const next = async (): Promise<unknown[]> => said(await client.next())
  client.send(event('session_start', 'w'))
  t.same(await next(), ['Welcome to Acme. How can I help you?'])
  client.send(event('user_speak', 'w', { text: 'I have a question about my invoice' }))
  t.same(await next(), ['Of course, I am putting you through to billing.'])
  t.same(await next(), ['Hello, this is billing.'])
  t.same(await next(), ['What is the number of the invoice?'])
  t.same(lines(models.billing.requests[0]), HANDED_OVER)
  client.send(event('user_speak', 'w', { text: 'It is 4711' }))
  t.same(await next(), ['Invoice 4711 is for 129.50 euros, due on the 31st of December, and not paid yet.'])
  t.same(await next(), ['Anything else?'])
  t.match((await app.aiFlow.getCall('w'))?.state, { billing: 'listening' })
})

t.test('the line runs as a server with the scripted models, call after call', async (t) => {
  const { url: base } = await startExample(t, 'examples/front-desk-server.ts')
  const send = async (id: string, type: string, fields: Record<string, unknown> = {}): Promise<unknown[]> => {
    const res = await fetch(`${base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type, session: { id }, ...fields }) })
    return said(res.status === 204 ? undefined : await res.json())
  }
  for (const id of ['x', 'y']) {
    await send(id, 'session_start')
    t.same(await send(id, 'user_speak', { text: 'About my bill' }), ['Of course, I am putting you through to billing.', 'Hello, this is billing.', 'What is the number of the invoice?'])
  }
})

t.test('the line passes check, and its diagram draws the handoff as a transition between the two agents', async (t) => {
  const flow = frontDeskFlow({ desk: scriptedModel([]), billing: scriptedModel([]) })
  t.same(checkFlow(flow), [])
  const diagram = toMermaid(flow)
  t.match(diagram, 'desk --> billing : transfer_to_billing (handoff)')
  t.match(diagram, 'billing --> person : transfer_to_person')
})

t.test('a recorded call handed over to billing replays exactly, without asking either model', async (t) => {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: frontDeskFlow(frontDeskModels({})), record: { stream }, replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'r'))
  await post(app, event('user_speak', 'r', { text: 'I have a question about my invoice' }))
  await post(app, event('user_speak', 'r', { text: 'It is 4711' }))
  await post(app, event('user_speak', 'r', { text: 'No, thank you' }))
  const calls = parseRecording(text)
  t.equal(calls[0].models?.length, 5, 'the desk\'s model call and billing\'s four')
  t.match(calls[0].models?.[1].request.messages.at(-1), { role: 'tool', name: 'transfer_to_billing', handoff: 'desk' }, 'billing\'s first request holds the note')
  const unused = { desk: scriptedModel([]), billing: scriptedModel([]) }
  const result = await replayRecording(calls, frontDeskFlow(unused))
  t.same(result.differences, [])
  t.same(result.modelDifferences, [])
  t.same(result.errors, [])
  t.equal(unused.desk.requests.length + unused.billing.requests.length, 0, 'neither model of the replayed flow was asked')
})

t.test('billing tells the model of an invoice it does not know: found false', async (t) => {
  const billing = scriptedModel(['Hello, this is billing.', { tool: { name: 'find_invoice', args: { number: '9999' } } }, 'I cannot find invoice 9999.'], { name: 'billing' })
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: frontDeskFlow({ desk: scriptedModel(DESK_ANSWERS, { name: 'desk' }), billing }), replyTimeout: 2000 })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'unknown'))
  await post(app, event('user_speak', 'unknown', { text: 'I have a question about my invoice' }))
  t.same(said((await post(app, event('user_speak', 'unknown', { text: 'It is 9999' }))).body), ['I cannot find invoice 9999.'])
  t.match(billing.requests.at(-1)?.messages.at(-1), { role: 'tool', name: 'find_invoice', ok: true, result: '{"found":false}' })
})
