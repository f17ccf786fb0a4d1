import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { metrics } from '@opentelemetry/api'
import { MeterProvider, type Histogram } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, functionTool, hangup, setupFlow, speak, type AgentMemory, type AgentModel } from '../../lib'
import { scriptedModel, type ScriptedAnswer } from '../../lib/testing'
import { CallTelemetry } from '../../lib/telemetry'
import { event, eventually, post } from '../fixtures/helpers'
import { LogCollector } from '../fixtures/logs'
import { TestMetricReader } from '../fixtures/metric-reader'
import { frontDeskFlow, scriptedModels } from '../../examples/front-desk'
import { connect } from '../fixtures/ws-client'

const exporter = new InMemorySpanExporter()
const tracing = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
tracing.register()
const reader = new TestMetricReader()
const meters = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meters)
t.teardown(async () => { await tracing.shutdown(); await meters.shutdown() })

// The plugin times with performance.now(): a test moves it on by known amounts while a tool runs.
const realNow = performance.now.bind(performance)
let skipped = 0
Object.defineProperty(performance, 'now', { configurable: true, writable: true, value: () => realNow() + skipped })
t.teardown(() => { Reflect.deleteProperty(performance, 'now') })

/** A deferred the test settles by hand. */
function gate<T> (): { promise: Promise<T>, open: (value: T) => void, reached: Promise<void>, arrive: () => void } {
  let open!: (value: T) => void
  let arrive!: () => void
  const promise = new Promise<T>((resolve) => { open = resolve })
  const reached = new Promise<void>((resolve) => { arrive = resolve })
  return { promise, open, reached, arrive }
}

const SLOT = Type.Object({ time: Type.String() })

/** One agent with one function tool, `check`, which `answer` answers; `done` leaves it. */
function flow (model: AgentModel, answer: (args: { time: string }, signal: AbortSignal) => Promise<unknown> | unknown, timeout?: number) {
  return setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    id: 'measured',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'Check before you answer.',
        filler: false,
        functions: {
          check: functionTool({
            description: 'Whether a time is free',
            parameters: SLOT,
            ...(timeout === undefined ? {} : { timeout }),
            run: async ({ args, signal }) => await answer(args, signal)
          })
        },
        tools: { done: { description: 'The caller is done', parameters: Type.Object({}), then: 'bye' } },
        onError: 'sorry'
      }),
      bye: { entry: [emit(speak('Goodbye.')), emit(hangup())] },
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
}

const checking = (time: string, text?: string): ScriptedAnswer => ({ ...(text === undefined ? {} : { text }), tool: { name: 'check', args: { time } } })

async function app (t: { teardown: (fn: () => unknown) => void }, machine: ReturnType<typeof flow>, logs = new LogCollector(), websocket = false): Promise<FastifyInstance> {
  const server = Fastify({ logger: { level: 'info', stream: logs } })
  await server.register(fastifyAiFlow, { flow: machine, replyTimeout: 5000, ...(websocket ? { websocket: true } : {}) })
  await server.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => server.close())
  return server
}

const spansOf = (id: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.attributes['aiflow.call.id'] === id)
const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name)

/** A histogram's point with these attributes. */
async function histogram (name: string, attributes: Record<string, string>): Promise<{ count: number, sum: number, buckets: Record<string, number> }> {
  const point = (await reader.points(name)).find((found) => Object.entries(attributes).every(([key, value]) => found.attributes[key] === value))
  const value = point?.value as Histogram | undefined
  const buckets: Record<string, number> = {}
  const { boundaries = [], counts = [] } = value?.buckets ?? {}
  counts.forEach((count, i) => { if (count > 0) buckets[i < boundaries.length ? `le ${boundaries[i]}` : '+Inf'] = count })
  return { count: value?.count ?? 0, sum: value?.sum ?? 0, buckets }
}

t.test('an agent turn over the webhook: a span aiflow.agent.turn under its event, a span per tool under it, the summary line', async (t) => {
  const logs = new LogCollector()
  const model = scriptedModel([checking('19:00'), 'Seven is free.', checking('20:00'), { tool: { name: 'done' } }])
  const server = await app(t, flow(model, ({ time }) => ({ free: time === '19:00', phone: '+49 30 1234567' })), logs)
  await post(server, event('session_start', 'spans'))
  const reply = await post(server, event('user_speak', 'spans', { text: 'Is seven free?' }))
  t.match([reply.body].flat(), [{ type: 'speak', text: 'Seven is free.' }])
  await post(server, event('user_speak', 'spans', { text: 'And eight?' }))
  await post(server, event('session_end', 'spans'))

  const spans = spansOf('spans')
  const events = named(spans, 'aiflow.event user_speak')
  const turns = named(spans, 'aiflow.agent.turn')
  const tools = named(spans, 'aiflow.tool check')
  t.equal(turns.length, 2, 'one span per caller turn')
  t.equal(tools.length, 2, 'one span per tool run')
  for (const i of [0, 1]) {
    t.equal(turns[i].parentSpanContext?.spanId, events[i].spanContext().spanId, 'the turn is a child of the event that began it')
    t.equal(tools[i].parentSpanContext?.spanId, turns[i].spanContext().spanId, 'the tool is a child of its turn')
  }
  t.match(turns[0].attributes, { 'aiflow.agent.state': 'host', 'aiflow.agent.outcome': 'answer', 'aiflow.agent.tool_calls': 1, 'aiflow.agent.tool_rounds': 1 })
  t.type(turns[0].attributes['aiflow.agent.first_sentence_ms'], 'number')
  t.type(turns[0].attributes['aiflow.agent.model_ms'], 'number')
  t.match(turns[1].attributes, { 'aiflow.agent.outcome': 'transition', 'aiflow.agent.tool_calls': 1 })
  t.type(turns[1].attributes['aiflow.agent.first_sentence_ms'], 'number', 'a turn that ends in a transition has the first line of the state it leads to')
  t.same(tools[0].attributes, { 'aiflow.call.id': 'spans', 'aiflow.tool.name': 'check', 'aiflow.tool.outcome': 'ok', 'aiflow.tool.round': 1 }, 'no argument and no result in the span')

  const { call } = await logs.waitFor('call ended') as unknown as { call: { agent: unknown } }
  t.match(call.agent, { turns: 2, toolCalls: 2, toolFailures: 0, toolRounds: 2, firstSentenceMs: { mean: Number, max: Number } }, 'the summary line counts the agent turns')
  t.type((call.agent as { modelMs: unknown }).modelMs, 'number')
})

t.test('a tool that fails, one past its timeout and one the caller cuts off: their outcomes in spans and in aiflow.tool.calls', async (t) => {
  const before = await Promise.all(['ok', 'error', 'timeout', 'aborted'].map(async (outcome) => await reader.total('aiflow.tool.calls', { tool: 'check', outcome })))
  const hanging = gate<unknown>()
  const model = scriptedModel([checking('fail'), 'Sorry, the calendar is down.', checking('hang'), 'Still down.', checking('wait'), 'Hello again.'])
  const server = await app(t, flow(model, async ({ time }, signal) => {
    if (time === 'fail') throw new Error('the calendar is down')
    if (time === 'hang') return await new Promise(() => {})
    hanging.arrive()
    return await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))))
  }, 0.05))
  await post(server, event('session_start', 'outcomes'))
  await post(server, event('user_speak', 'outcomes', { text: 'Is seven free?' }))
  await post(server, event('user_speak', 'outcomes', { text: 'Try again.' }))
  const waiting = post(server, event('user_speak', 'outcomes', { text: 'Once more.' }))
  await hanging.reached
  await post(server, event('user_speech_started', 'outcomes'))
  await waiting
  t.ok(await eventually(() => named(spansOf('outcomes'), 'aiflow.tool check').length === 3))
  const tools = named(spansOf('outcomes'), 'aiflow.tool check')
  t.same(tools.map((span) => span.attributes['aiflow.tool.outcome']), ['error', 'timeout', 'aborted'])
  t.same(tools.map((span) => span.status.code), [2, 2, 0], 'a failure and a timeout are errors, an abort is not')
  const turns = named(spansOf('outcomes'), 'aiflow.agent.turn')
  t.same(turns.map((span) => span.attributes['aiflow.agent.outcome']), ['answer', 'answer', 'interrupted'], 'the barge-in cut the third turn off')
  const after = await Promise.all(['ok', 'error', 'timeout', 'aborted'].map(async (outcome) => await reader.total('aiflow.tool.calls', { tool: 'check', outcome })))
  t.same(after.map((count, i) => count - before[i]), [0, 1, 1, 1], 'aiflow.tool.calls by tool and outcome')
})

t.test('the tool and first-sentence histograms record seconds: known times land in their buckets, over the webhook and over the WebSocket', async (t) => {
  for (const transport of ['http', 'websocket'] as const) {
    const lookup = gate<unknown>()
    const model = scriptedModel([checking('19:00'), 'Seven is free.'])
    const server = await app(t, flow(model, async () => { lookup.arrive(); return await lookup.promise }), new LogCollector(), transport === 'websocket')
    const id = `buckets-${transport}`
    const tool = await histogram('aiflow.tool.duration', { tool: 'check', outcome: 'ok' })
    const first = await histogram('aiflow.agent.first_sentence', { transport })
    if (transport === 'http') {
      await post(server, event('session_start', id))
      const reply = post(server, event('user_speak', id, { text: 'Is seven free?' }))
      await lookup.reached
      // The lookup takes 0.7 s.
      skipped += 700
      lookup.open({ free: true })
      t.match([(await reply).body].flat(), [{ text: 'Seven is free.' }])
    } else {
      const client = await connect(server)
      t.teardown(() => client.close())
      client.send(event('session_start', id))
      client.send(event('user_speak', id, { text: 'Is seven free?' }))
      await lookup.reached
      skipped += 700
      lookup.open({ free: true })
      t.match([await client.next()].flat(), [{ text: 'Seven is free.' }])
    }
    t.ok(await eventually(async () => (await histogram('aiflow.agent.first_sentence', { transport })).count > first.count))
    const toolAfter = await histogram('aiflow.tool.duration', { tool: 'check', outcome: 'ok' })
    const firstAfter = await histogram('aiflow.agent.first_sentence', { transport })
    t.same(toolAfter.count - tool.count, 1)
    const toolSum = toolAfter.sum - tool.sum
    t.ok(toolSum >= 0.7 && toolSum < 1, `${transport}: the tool recorded as ${toolSum} s`)
    t.equal((toolAfter.buckets['le 1'] ?? 0) - (tool.buckets['le 1'] ?? 0), 1, 'between 0.5 s and 1 s')
    const firstSum = firstAfter.sum - first.sum
    t.ok(firstSum >= 0.7 && firstSum < 1, `${transport}: the first sentence recorded as ${firstSum} s`)
    t.equal((firstAfter.buckets['le 1'] ?? 0) - (first.buckets['le 1'] ?? 0), 1, 'between 0.5 s and 1 s')
  }
})

t.test('tool names are bounded by those the flows declare: any other is counted as other', async (t) => {
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log: { info: () => {} }, tools: ['check'] })
  t.teardown(() => telemetry.close())
  telemetry.eventStarted({ type: 'session_start', session: { id: 'bounded' } }, 'http')?.end([])
  const before = await reader.total('aiflow.tool.calls', { tool: 'other' })
  telemetry.toolStarted('bounded', 'made_up_by_the_model', 1)('ok')
  telemetry.toolStarted('no call', 'another_name', 2)('error')
  t.equal(await reader.total('aiflow.tool.calls', { tool: 'other' }) - before, 2)
  t.equal(await reader.total('aiflow.tool.calls', { tool: 'made_up_by_the_model' }), 0, 'no series of its own')
  const span = exporter.getFinishedSpans().find((found) => found.attributes['aiflow.tool.name'] === 'made_up_by_the_model')
  t.equal(span?.name, 'aiflow.tool other', 'nor a span name')
})

t.test('a handoff ends the turn as a transition; the agent state it leads into measures its answer as a turn of its own', async (t) => {
  const server = await app(t, frontDeskFlow(scriptedModels()) as never)
  await post(server, event('session_start', 'handed'))
  await post(server, event('user_speak', 'handed', { text: 'I have a question about my invoice' }))
  const started = (span: ReadableSpan): number => span.startTime[0] * 1e9 + span.startTime[1]
  const turns = (): ReadableSpan[] => named(spansOf('handed'), 'aiflow.agent.turn').sort((a, b) => started(a) - started(b))
  t.same(turns().map((span) => [span.attributes['aiflow.agent.state'], span.attributes['aiflow.agent.outcome']]), [['desk', 'transition'], ['billing', 'answer']], 'billing answers at the handover')
  await post(server, event('user_speak', 'handed', { text: 'It is 4711' }))
  const all = turns()
  t.same(all.map((span) => [span.attributes['aiflow.agent.state'], span.attributes['aiflow.agent.outcome']]), [['desk', 'transition'], ['billing', 'answer'], ['billing', 'answer']], 'then the caller\'s next turn')
  t.equal(named(spansOf('handed'), 'aiflow.tool find_invoice')[0]?.parentSpanContext?.spanId, all[2].spanContext().spanId)
})

t.test('an agent turn begun between events (its work ended) has no event span to go under: its span is a root', async (t) => {
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log: { info: () => {} }, tools: ['check'] })
  t.teardown(() => telemetry.close())
  telemetry.eventStarted({ type: 'session_start', session: { id: 'between' } }, 'http')?.end([])
  telemetry.agentTurnStarted('between', 'host')
  telemetry.toolStarted('between', 'check', 1)('ok')
  telemetry.agentTurnEnded('between', 'answer')
  const spans = exporter.getFinishedSpans().filter((span) => span.attributes['aiflow.call.id'] === 'between' || span.name === 'aiflow.tool check')
  const turn = spans.find((span) => span.name === 'aiflow.agent.turn')
  t.equal(turn?.parentSpanContext, undefined, 'the turn is a root span')
  t.ok(spans.some((span) => span.name === 'aiflow.tool check'), 'the tool has its span')
  // A tool run again during an event, with no agent turn here (its turn began on an instance that died): under the event.
  const during = telemetry.eventStarted({ type: 'user_speak', session: { id: 'during' } }, 'http')
  during?.begin()
  telemetry.toolStarted('during', 'check', 1)('ok')
  during?.end([])
  const event = exporter.getFinishedSpans().find((span) => span.name === 'aiflow.event user_speak' && span.attributes['aiflow.call.id'] === 'during')
  t.equal(exporter.getFinishedSpans().filter((span) => span.name === 'aiflow.tool check').at(-1)?.parentSpanContext?.spanId, event?.spanContext().spanId, 'the tool is under the event')
})
