import t from 'tap'
import type { StateValueFrom } from 'xstate'
import { speak } from '../../lib'
import { runScript, simulateCall, type FlowStateValue } from '../../lib/testing'
import { listening } from '../fixtures/kit-servers'
import { bookingFlow, echoFlow, menuFlow } from '../fixtures/simulator-flows'
import { flow as pizza } from '../../examples/pizza-flow'

t.test("call.matches asks where the call is, nested states included, as XState's matches does", async (t) => {
  const call = simulateCall(bookingFlow)
  t.teardown(() => call.close())
  await call.start()
  t.same(call.state, { booking: 'askDate' })
  t.ok(call.matches('booking'), 'a parent state matches any state inside it')
  t.ok(call.matches({ booking: 'askDate' }))
  t.notOk(call.matches({ booking: 'confirm' }))
  t.notOk(call.matches('greeting'))
  t.same(await call.say('Friday'), [speak('Friday? Press 1 to confirm.')])
  t.ok(call.matches({ booking: 'confirm' }))
  t.notOk(call.matches({ booking: 'askDate' }))
  await call.press('1')
  t.ok(call.matches('booked'))
  t.notOk(call.matches('booking'))
})

t.test("the answer is XState's own for every state the flow can be in", async (t) => {
  const call = simulateCall(bookingFlow)
  t.teardown(() => call.close())
  await call.start()
  await call.say('Monday')
  const probes: Array<StateValueFrom<typeof bookingFlow>> = ['greeting', 'booking', 'booked', { booking: 'askDate' }, { booking: 'confirm' }]
  const snapshot = bookingFlow.resolveState({ value: call.state as never, context: {} })
  t.same(probes.map((probe) => call.matches(probe)), probes.map((probe) => snapshot.matches(probe)))
  t.same(probes.map((probe) => call.matches(probe)), [false, true, false, false, true])
})

t.test("a flat flow's states are strings; each turn keeps its own", async (t) => {
  const turns = await runScript(menuFlow, ['start', { press: '1' }, 'transferFailed'])
  t.same(turns.map((turn) => turn.state), ['asking', 'transferring', 'asking'])
  const call = simulateCall(menuFlow)
  t.teardown(() => call.close())
  await call.start()
  t.ok(call.matches('asking'))
  t.notOk(call.matches('transferring'))
})

t.test('matches() says why it cannot tell, rather than answer false', async (t) => {
  const call = simulateCall(menuFlow)
  t.throws(() => call.matches('asking'), { message: 'call.matches("asking"): the call has not started: call start() first' })
  await call.start()
  await call.press('9')
  t.ok(call.ended)
  t.throws(() => call.matches('done'), { message: 'call.matches("done"): the flow has no state after the last move: the call has ended or the flow failed' })
  const { base } = await listening(t, { flow: menuFlow })
  const remote = simulateCall<typeof menuFlow>(`http://${base}/webhook`)
  t.teardown(() => remote.close())
  await remote.start()
  t.throws(() => remote.matches('asking'), {
    message: 'call.matches("asking"): the state of a server cannot be seen; simulate the flow itself (simulateCall(flow)) to ask for it'
  })
})

t.test('the types come from the flow (checked by the typecheck, run here too)', async (t) => {
  const call = simulateCall(bookingFlow)
  t.teardown(() => call.close())
  await call.start()
  const state: FlowStateValue<typeof bookingFlow> | undefined = call.state
  t.same(state, { booking: 'askDate' })
  // @ts-expect-error a state the flow does not have
  t.notOk(call.matches('nowhere'))
  // @ts-expect-error nor a child state it does not have
  t.notOk(call.matches({ booking: 'nowhere' }))
  // @ts-expect-error the state value is the flow's, not any string
  const wrong: typeof call.state = 'askDate'
  t.equal(wrong, 'askDate', 'still a string at run time')
  const untyped = simulateCall(echoFlow)
  t.teardown(() => untyped.close())
  await untyped.start()
  t.same(untyped.state, {}, 'a flow without states has an empty state value')
})

t.test("call.matches and the state-value type see a fragment's states (checked by the typecheck, run here too)", async (t) => {
  const call = simulateCall(pizza)
  t.teardown(() => call.close())
  await call.start()
  t.ok(call.matches({ size: { listening: { noInput: 'none', noMatch: 'none' } } }), 'a menu listening, nothing failed yet')
  t.ok(call.matches({ size: 'listening' }))
  await call.silence()
  t.ok(call.matches({ size: { listening: { noInput: 'reprompt1' } } }), 'one silence: its first reprompt')
  t.notOk(call.matches({ size: { listening: { noMatch: 'reprompt1' } } }))
  // @ts-expect-error a reprompt is numbered
  t.notOk(call.matches({ size: { listening: { noInput: 'reprompt' } } }))
  // @ts-expect-error a menu has no state of that name inside
  t.notOk(call.matches({ size: 'asking' }))
  // @ts-expect-error collectDigits is one state: nothing inside it
  t.notOk(call.matches({ phone: 'collecting' }))
  const ended: FlowStateValue<typeof pizza> = { toppings: 'matched' }
  const listeningNow: FlowStateValue<typeof pizza> = { toppings: { listening: { noInput: 'reprompt1', noMatch: 'none' } } }
  t.same([ended, listeningNow].map((value) => call.matches(value)), [false, false])
})
