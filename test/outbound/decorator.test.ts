import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { assistant } from '../fixtures/flows'
import { fakeService } from '../fixtures/fake-service'

const request = { aiFlowId: 'flow-1', toPhoneNumber: '4915790000687', billingDevice: 'e2' }

t.test('fastify.aiFlow.call places the call with the outbound option', async (t) => {
  const fake = await fakeService(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: assistant, outbound: { token: 'api-token', baseUrl: fake.baseUrl } })
  t.same(await app.aiFlow.call(request), { body: { status: 'placed' } })
  t.equal(fake.received[0].authorization, 'Bearer api-token')

  fake.answer = (reply) => reply.code(404).send({ message: 'unknown flow' })
  await t.rejects(app.aiFlow.call(request), { code: 'FST_AIFLOW_FLOW_NOT_FOUND', serviceMessage: 'unknown flow' })
})

t.test('without the outbound option, fastify.aiFlow.call rejects with FST_AIFLOW_OUTBOUND_NOT_CONFIGURED', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow: assistant })
  await t.rejects(app.aiFlow.call(request), { code: 'FST_AIFLOW_OUTBOUND_NOT_CONFIGURED' })
})

t.test('a bad outbound option fails the registration', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => {
    await app.register(fastifyAiFlow, { flow: assistant, outbound: { token: '' } })
  }, {
    code: 'FST_AIFLOW_INVALID_OPTION',
    message: /outbound.token must be a non-empty string/
  })
})
