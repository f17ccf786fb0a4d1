import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { assign, createMachine, emit, fromCallback, fromPromise } from 'xstate'
import { SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { fastifyAiFlow, flowVersionOf, speak, type FastifyAiFlowOptions } from '../../lib'
import { assistant } from '../fixtures/flows'
import { event, eventually } from '../fixtures/helpers'
import { connect } from '../fixtures/ws-client'

// The application's SDK, registered once for the process, before any app is built.
const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()
const requests = new FastifyOtelInstrumentation()
requests.setTracerProvider(provider)
t.teardown(() => provider.shutdown())

async function app (t: { teardown: (fn: () => unknown) => void }, options: Partial<FastifyAiFlowOptions> = {}): Promise<FastifyInstance> {
  exporter.reset()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(requests.plugin())
  await app.register(fastifyAiFlow, { flow: assistant, websocket: true, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

const ours = (): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'fastify-ai-flow')
const named = (name: string): ReadableSpan[] => ours().filter((span) => span.name === name)
const only = (name: string): ReadableSpan => {
  const found = named(name)
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}`)
  return found[0]
}
const parentOf = (span: ReadableSpan): ReadableSpan | undefined =>
  exporter.getFinishedSpans().find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId)

t.test('over HTTP, each event is a span under its request span, and its promise work a span under it', async (t) => {
  const server = await app(t)
  const id = 'traced-http'
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', id) })
  const res = await server.inject({ method: 'POST', url: '/webhook', payload: event('user_speak', id, { text: 'opening hours' }) })
  t.equal(res.statusCode, 200)

  const turn = only('aiflow.event user_speak')
  t.match(turn.attributes, {
    'aiflow.call.id': id,
    'aiflow.event.type': 'user_speak',
    'aiflow.flow.version': flowVersionOf(assistant),
    'aiflow.state.before': 'listening',
    'aiflow.state.after': 'listening',
    'aiflow.transport': 'http',
    'aiflow.work.deadline_hit': false
  })
  t.same(turn.attributes['aiflow.actions'], ['speak', 'speak'], 'the types of the actions of the reply')
  t.type(turn.attributes['aiflow.work.wait_ms'], 'number')
  t.equal(turn.status.code, SpanStatusCode.UNSET)

  const request = parentOf(turn)
  t.equal(request?.instrumentationScope.name, '@fastify/otel', 'the parent is @fastify/otel\'s span')
  t.equal(request?.name, 'request', 'the request span itself')
  t.equal(request?.spanContext().traceId, turn.spanContext().traceId, 'in the request\'s trace')

  const work = only('aiflow.work lookup')
  t.equal(work.parentSpanContext?.spanId, turn.spanContext().spanId, 'the work is a child of its event')
  t.match(work.attributes, { 'aiflow.call.id': id, 'aiflow.work.src': 'lookup' })
  t.equal(only('aiflow.event session_start').attributes['aiflow.state.before'], 'listening', 'a new call is in its initial state')
  for (const span of ours()) t.equal(span.attributes['aiflow.call.id'], id, `${span.name} carries the call id`)
})

t.test('session_end: the call\'s summary is an event of its span', async (t) => {
  const server = await app(t)
  const id = 'traced-end'
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', id) })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('dtmf_received', id, { digit: '#' }) })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_end', id) })

  const end = only('aiflow.event session_end')
  t.equal(end.events.length, 1)
  t.equal(end.events[0].name, 'aiflow.call.ended')
  t.match(end.events[0].attributes, {
    'aiflow.call.id': id,
    'aiflow.call.outcome': 'hangup',
    'aiflow.call.events': JSON.stringify({ session_start: 1, dtmf_received: 1, session_end: 1 }),
    'aiflow.transport': 'http',
    'aiflow.state.final': 'listening'
  })
  t.same(end.attributes['aiflow.actions'], [])
})

t.test('a flow error is recorded on the event\'s span as an exception, status error', async (t) => {
  const failing = assistant.provide({ actors: { lookup: fromPromise<string, { question: string }>(async () => { throw new Error('the lookup service is down') }) } })
  const server = await app(t, { flow: failing })
  const id = 'traced-error'
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', id) })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('user_speak', id, { text: 'opening hours' }) })

  const turn = only('aiflow.event user_speak')
  t.equal(turn.status.code, SpanStatusCode.ERROR)
  t.match(turn.status.message, /the lookup service is down/)
  t.match(turn.events.find((e) => e.name === 'exception')?.attributes, { 'exception.message': /the lookup service is down/ })
  const work = only('aiflow.work lookup')
  t.equal(work.status.code, SpanStatusCode.ERROR, 'the failed work too')
  t.equal(work.events[0]?.name, 'exception')
})

t.test('over WebSocket, each frame\'s events get the same spans, with no request to be a child of', async (t) => {
  const server = await app(t)
  const id = 'traced-ws'
  const client = await connect(server)
  t.teardown(() => client.close())
  client.send([event('session_start', id), event('user_speak', id, { text: 'opening hours' })])
  await client.next()
  await client.next()
  t.ok(await eventually(() => named('aiflow.work lookup').length === 1), 'the work span ended')
  t.ok(await eventually(() => named('aiflow.event user_speak').length === 1), 'the event span ended')

  for (const name of ['aiflow.event session_start', 'aiflow.event user_speak']) {
    const span = only(name)
    t.equal(span.attributes['aiflow.transport'], 'websocket', name)
    t.equal(span.parentSpanContext, undefined, `${name} is a root span`)
    t.equal(span.attributes['aiflow.call.id'], id)
  }
  t.equal(only('aiflow.work lookup').parentSpanContext?.spanId, only('aiflow.event user_speak').spanContext().spanId)
})

t.test('a wait cut short by the reply deadline says so; the application\'s inspection observer still sees every event', async (t) => {
  const slow = assistant.provide({
    actors: { lookup: fromPromise<string, { question: string }>(async () => await new Promise((resolve) => setTimeout(() => resolve('late'), 200))) }
  })
  const seen: string[] = []
  const server = await app(t, { flow: slow, replyTimeout: 20, inspect: { next: (inspection) => { seen.push(inspection.type) } } })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', 'traced-slow') })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('user_speak', 'traced-slow', { text: 'opening hours' }) })

  const turn = only('aiflow.event user_speak')
  t.equal(turn.attributes['aiflow.work.deadline_hit'], true)
  t.ok((turn.attributes['aiflow.work.wait_ms'] as number) >= 15, 'it waited about the deadline')
  t.ok(seen.includes('@xstate.actor') && seen.includes('@xstate.event'), 'the observer object got the inspection events')
  t.ok(await eventually(() => named('aiflow.work lookup').length === 1), 'the work span ends when the work does')
})

t.test('an expired call\'s summary is a span of its own; an inspection function is forwarded too', async (t) => {
  const seen: string[] = []
  const server = await app(t, { sessionTtl: 200, inspect: (inspection) => { seen.push(inspection.type) } })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', 'traced-idle') })
  t.ok(await eventually(() => named('aiflow.call.ended').length === 1), 'the sweep ended the call')

  const ended = only('aiflow.call.ended')
  t.equal(ended.parentSpanContext, undefined)
  t.match(ended.attributes, { 'aiflow.call.id': 'traced-idle', 'aiflow.call.outcome': 'expired', 'aiflow.state.final': 'listening' })
  t.ok(seen.includes('@xstate.actor'))
})

t.test('only invoked promise work gets a span, an inline one by its id; a callback actor and a promise spawned inline none', async (t) => {
  // Plain createMachine: setup() types keep inline logic out, XState itself allows it.
  const mixed = createMachine({
    initial: 'idle',
    states: {
      idle: { on: { user_speak: 'busy' } },
      busy: {
        entry: assign({ spawned: ({ spawn }) => spawn(fromPromise(async () => 'spawned'), { id: 'spawned' }) }),
        invoke: [
          { id: 'listener', src: fromCallback(() => () => {}) },
          { id: 'inline', src: fromPromise(async () => 'done'), onDone: { target: 'idle', actions: emit(speak('Done.')) } }
        ]
      }
    }
  })
  const server = await app(t, { flow: mixed })
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_start', 'traced-mixed') })
  const res = await server.inject({ method: 'POST', url: '/webhook', payload: event('user_speak', 'traced-mixed', { text: 'go' }) })
  t.equal(res.json().text, 'Done.')

  // A promise logic object spawned inline is not routed through the work runner (docs/session-stores.md): its run is XState's own.
  t.same(ours().filter((span) => span.name.startsWith('aiflow.work')).map((span) => span.name).sort(), ['aiflow.work inline'])
})

t.test('each event\'s states are its own: the state after one event is the state before the next, a new state a new path', async (t) => {
  // Nested states, so that each state value is an object: a path kept from an earlier value would show here.
  const toggling = createMachine({
    initial: 'menu',
    states: {
      menu: { initial: 'main', states: { main: { on: { dtmf_received: 'extra' } }, extra: { on: { dtmf_received: 'main' } } } }
    }
  })
  const server = await app(t, { flow: toggling })
  const id = 'traced-states'
  for (const type of ['session_start', 'dtmf_received', 'dtmf_received', 'user_speak']) {
    await server.inject({ method: 'POST', url: '/webhook', payload: event(type, id, type === 'dtmf_received' ? { digit: '1' } : type === 'user_speak' ? { text: 'hello' } : {}) })
  }
  await server.inject({ method: 'POST', url: '/webhook', payload: event('session_end', id) })

  const states = ours().filter((span) => span.name.startsWith('aiflow.event'))
    .map((span) => `${span.name}: ${String(span.attributes['aiflow.state.before'])} → ${String(span.attributes['aiflow.state.after'])}`)
  t.same(states, [
    'aiflow.event session_start: menu.main → menu.main',
    'aiflow.event dtmf_received: menu.main → menu.extra',
    'aiflow.event dtmf_received: menu.extra → menu.main',
    'aiflow.event user_speak: menu.main → menu.main',
    'aiflow.event session_end: undefined → menu.main'
  ])
  t.equal(only('aiflow.event session_end').attributes['aiflow.flow.version'], flowVersionOf(toggling), 'session_end carries the flow version too')
})
