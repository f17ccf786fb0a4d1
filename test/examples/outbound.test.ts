import t from 'tap'
import { buildServer, remind } from '../../examples/outbound'
import { fakeService } from '../fixtures/fake-service'
import { connect } from '../fixtures/ws-client'

t.test('the outbound example: a route starts the call, and the call gets its own greeting', async (t) => {
  const fake = await fakeService(t)
  const app = buildServer({ apiToken: 'api-token', aiFlowId: 'reminders', baseUrl: fake.baseUrl })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })

  const response = await app.inject({ method: 'POST', url: '/reminders', payload: { phoneNumber: '4915790000687' } })
  t.equal(response.statusCode, 202)
  t.same(fake.received, [{
    aiFlowId: 'reminders',
    authorization: 'Bearer api-token',
    contentType: 'application/json',
    body: { billingDevice: 'e2', toPhoneNumber: '4915790000687' }
  }])

  // The callee answers: the service opens its socket and starts the call.
  const client = await connect(app)
  const session = { id: 'outbound-example-call', direction: 'outbound' }
  client.send({ type: 'session_start', session })
  t.match(await client.next(), { type: 'speak', text: /^Hello, this is Acme with a reminder/ })
  client.send({ type: 'dtmf_received', session, digit: '5' })
  t.match(await client.next(), { text: 'Please press 1 to confirm.' })
  client.send({ type: 'dtmf_received', session, digit: '1' })
  t.match(await client.next(), [{ text: 'Thank you, see you tomorrow!' }, { type: 'hangup' }])
  await client.close()

  fake.answer = (reply) => reply.code(400).send({ message: 'The AI flow has no phone number' })
  const refused = await app.inject({ method: 'POST', url: '/reminders', payload: { phoneNumber: '4915790000687' } })
  t.equal(refused.statusCode, 502)
  t.match(refused.json(), { code: 'FST_AIFLOW_CALL_REFUSED', message: /has no phone number/ })
})

t.test('the outbound example without a server', async (t) => {
  const fake = await fakeService(t)
  t.same(await remind('4915790000687', { apiToken: 'api-token', aiFlowId: 'reminders', baseUrl: fake.baseUrl }), { body: { status: 'placed' } })
  t.equal(fake.received.length, 1)
})
