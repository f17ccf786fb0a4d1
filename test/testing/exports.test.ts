import t from 'tap'
import * as testing from '../../lib/testing'
import { FlowDriver, simulatedEvent, simulatedSession } from '../../lib/testing'
import { collectingLogger } from '../../lib/testing/logger'
import { echoFlow } from '../fixtures/simulator-flows'

t.test('fastify-ai-flow/testing exports the simulator, its parts, replay, the scripted model and toolResults', async (t) => {
  t.same(Object.keys(testing).sort(), [
    'FlowDriver', 'HttpDriver', 'SimulatedCall', 'TestClock', 'WebSocketDriver', 'replayRecording', 'runScript', 'scriptedModel', 'simulateCall', 'simulatedEvent', 'simulatedSession', 'toolResults'
  ])
  for (const [name, value] of Object.entries(testing)) t.type(value, 'function', name)
})

t.test('sessions and events shaped like the service\'s, for tests that post them themselves', async (t) => {
  const session = simulatedSession('outbound', { id: 'mine' })
  t.same(session, { id: 'mine', account_id: 'account-123', phone_number: '+1234567890', direction: 'outbound', from_phone_number: '+1234567890', to_phone_number: '+9876543210' })
  t.same(simulatedEvent('dtmf_received', session, { digit: '5' }), { type: 'dtmf_received', digit: '5', session })
  t.same(Object.keys(simulatedEvent('session_start', session)), ['type', 'session'])
})

t.test('a driver asked about a call it never saw has nothing to tell', async (t) => {
  const driver = new FlowDriver(echoFlow)
  t.teardown(() => driver.close())
  t.same(await driver.wait(10, 'nobody'), { actions: [], state: undefined })
  t.equal(driver.now(), 10)
})

t.test('the simulator\'s logger keeps errors, with or without an err', async (t) => {
  const errors: Error[] = []
  const log = collectingLogger(errors)
  log.child({}).error({ err: new Error('boom') }, 'flow failed')
  log.error({}, 'something odd')
  log.error({})
  log.debug({}); log.info({}); log.warn({})
  t.same(errors.map((err) => err.message), ['boom', 'something odd', 'an error was logged'])
  const lines: string[] = []
  const forward = {
    child: () => forward,
    debug: (_: object, msg?: string) => { lines.push(`debug ${msg}`) },
    info: (_: object, msg?: string) => { lines.push(`info ${msg}`) },
    warn: (_: object, msg?: string) => { lines.push(`warn ${msg}`) },
    error: (_: object, msg?: string) => { lines.push(`error ${msg}`) }
  }
  const forwarding = collectingLogger([], forward)
  forwarding.debug({}, 'a'); forwarding.info({}, 'b'); forwarding.warn({}, 'c'); forwarding.error({}, 'd')
  t.same(lines, ['debug a', 'info b', 'warn c', 'error d'], 'every line reaches the logger given')
})
