import t from 'tap'
import Fastify from 'fastify'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { fastifyAiFlow } from '../../lib'
import { scriptedModel } from '../../lib/testing'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, post } from '../fixtures/helpers'

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()
t.teardown(() => provider.shutdown())

t.test('each model call is traced like other work: a span aiflow.work <state>.model under its event', async (t) => {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: restaurantFlow(scriptedModel(['Hello there.'])) })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'traced'))
  await post(app, event('user_speak', 'traced', { text: 'Hi' }))
  const spans = exporter.getFinishedSpans()
  const turn = spans.find((span) => span.name === 'aiflow.event user_speak')
  const work = spans.filter((span) => span.name === 'aiflow.work host.model')
  t.equal(work.length, 1)
  t.equal(work[0]?.parentSpanContext?.spanId, turn?.spanContext().spanId, 'a child of the event that asked')
  t.match(work[0]?.attributes, { 'aiflow.call.id': 'traced', 'aiflow.work.src': 'host.model' })
})
