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

t.test('an http baseUrl, which would send the API token in clear, fails the registration; loopback hosts are allowed', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => {
    await app.register(fastifyAiFlow, { flow: assistant, outbound: { token: 'api-token', baseUrl: 'http://api.sipgate.com' } })
  }, {
    code: 'FST_AIFLOW_INVALID_OPTION',
    message: 'outbound.baseUrl must be an https URL (http only to localhost, 127.0.0.1 or [::1]: the API token would cross the network in clear), got "http://api.sipgate.com"'
  })

  for (const baseUrl of ['http://localhost:8080', 'http://127.0.0.1:3000', 'http://127.1.2.3', 'http://[::1]:3000/', 'http://api.localhost', 'https://api.example.com']) {
    const ok = Fastify()
    t.teardown(() => ok.close())
    await ok.register(fastifyAiFlow, { flow: assistant, outbound: { token: 'api-token', baseUrl } })
    t.pass(`${baseUrl} is taken`)
  }
})
