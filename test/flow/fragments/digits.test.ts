import t from 'tap'
import { assign, createActor, emit, SimulatedClock } from 'xstate'
import { collectDigits, digitCollector, setupFlow, speak, type CollectDigitsOptions, type DigitCollectorInput, type FlowTypes } from '../../../lib/flow'
import { drive, persisted, session } from '../../fixtures/drive'

function collector (input: Partial<DigitCollectorInput>) {
  const clock = new SimulatedClock()
  const actor = createActor(digitCollector, { input: { maxLength: 32, interDigitTimeout: 5000, ...input }, clock })
  actor.start()
  const press = (keys: string): void => { for (const digit of keys) actor.send({ type: 'dtmf_received', session, digit }) }
  return { actor, clock, press, output: () => actor.getSnapshot().output }
}

t.test('alone: a fixed length ends with the last key', async (t) => {
  const { press, output, actor } = collector({ length: 4 })
  press('123')
  t.equal(actor.getSnapshot().status, 'active')
  press('4')
  t.same(output(), { digits: '1234', ended: 'length' })
})

t.test('alone: the terminator ends it and is not part of the digits', async (t) => {
  const { press, output } = collector({ terminator: '#' })
  press('0815#')
  t.same(output(), { digits: '0815', ended: 'terminator' })
})

t.test('alone: the terminator first gives no digits', async (t) => {
  const { press, output } = collector({ terminator: '*', length: 3 })
  press('*')
  t.same(output(), { digits: '', ended: 'terminator' })
})

t.test('alone: with a terminator, maxLength ends it anyway', async (t) => {
  const { press, output } = collector({ terminator: '#', maxLength: 3 })
  press('1234')
  t.same(output(), { digits: '123', ended: 'length' })
})

t.test('alone: a pause after some keys ends it; each key restarts the wait', async (t) => {
  const { press, output, clock, actor } = collector({ length: 6, interDigitTimeout: 3000 })
  press('12')
  clock.increment(2999)
  press('3')
  clock.increment(2999)
  t.equal(actor.getSnapshot().status, 'active', 'the third key restarted the wait')
  clock.increment(1)
  t.same(output(), { digits: '123', ended: 'timeout' })
})

t.test('alone: no wait runs before the first key', async (t) => {
  const { output, clock, actor } = collector({ length: 4 })
  clock.increment(60_000)
  t.equal(actor.getSnapshot().status, 'active')
  actor.send({ type: 'user_input_timeout', session })
  t.same(output(), { digits: '', ended: 'no-input' })
})

t.test('alone: user_input_timeout after some keys ends it as a pause', async (t) => {
  const { press, output, actor } = collector({ length: 4 })
  press('9')
  actor.send({ type: 'user_input_timeout', session })
  t.same(output(), { digits: '9', ended: 'timeout' })
})

type Types = FlowTypes<{ pin?: string }>

const pin: CollectDigitsOptions<Types> = {
  id: 'pin',
  say: 'Please enter your PIN, then the hash key.',
  terminator: '#',
  onDone: { target: 'check', actions: assign({ pin: ({ event }) => event.output.digits }) }
}

function flowWith (options: CollectDigitsOptions<Types>) {
  return setupFlow({ types: { context: {} as { pin?: string } } }).createMachine({
    id: 'bank',
    context: {},
    initial: 'idle',
    on: { dtmf_received: { actions: emit(speak('GLOBAL KEY')) } },
    states: {
      idle: { on: { session_start: 'pin' } },
      pin: collectDigits({ ...options }),
      check: { entry: emit(({ context }) => speak(`You entered ${context.pin ?? ''}.`)) }
    }
  })
}

t.test('in a flow: says its prompt, collects the forwarded keys, and leaves with the digits', async (t) => {
  const call = drive(flowWith(pin))
  t.same(call.send('session_start'), [speak('Please enter your PIN, then the hash key.', { user_input_timeout_seconds: 8 })])
  t.same(call.send('dtmf_received', { digit: '4' }), [], "the flow's own key handler does not run while collecting")
  t.same(call.value(), 'pin')
  call.send('dtmf_received', { digit: '2' })
  t.same(call.send('dtmf_received', { digit: '#' }), [speak('You entered 42.')])
  t.equal(call.value(), 'check')
})

t.test('in a flow: the inter-digit wait runs on the flow clock', async (t) => {
  const clock = new SimulatedClock()
  const call = drive(flowWith({ ...pin, say: undefined, terminator: undefined, length: 4, interDigitTimeout: 2000 }), { clock })
  t.same(call.send('session_start'), [], 'no prompt without say')
  call.send('dtmf_received', { digit: '7' })
  clock.increment(2000)
  t.same(call.emitted, [speak('You entered 7.')])
})

t.test('in a flow: the digits so far survive a JSON round trip of the snapshot', async (t) => {
  const machine = flowWith(pin)
  const first = drive(machine)
  first.send('session_start')
  first.send('dtmf_received', { digit: '1' })
  first.send('dtmf_received', { digit: '2' })
  const second = drive(machine, { snapshot: persisted(first) })
  second.send('dtmf_received', { digit: '3' })
  t.same(second.send('dtmf_received', { digit: '#' }), [speak('You entered 123.')])
})

t.test('wrong options throw when the flow is built', async (t) => {
  const code = 'FST_AIFLOW_INVALID_FRAGMENT'
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, terminator: undefined }), { code, message: /"pin": give length, terminator or both/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, terminator: '5' as never }), { code, message: /terminator must be # or \*, got "5"/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, length: 2.5 }), { code, message: /length must be a positive integer, got 2.5/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, maxLength: -1 }), { code, message: /maxLength must be a positive integer/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, interDigitTimeout: Infinity }), { code, message: /interDigitTimeout must be a positive integer, got null/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, timeout: '8' as never }), { code, message: /timeout must be a positive number, got "8"/ })
  t.throws(() => collectDigits<{ pin?: string }>({ ...pin, id: '1pin' }), { code, message: /id must be/ })
})

t.test('in a flow: a call restored from a store loses a running wait, and user_input_timeout still ends it', async (t) => {
  // XState keeps scheduled events in the running system only, so a restored actor has none.
  const machine = flowWith({ ...pin, terminator: undefined, length: 4 })
  const first = drive(machine, { clock: new SimulatedClock() })
  first.send('session_start')
  first.send('dtmf_received', { digit: '5' })
  const clock = new SimulatedClock()
  const second = drive(machine, { clock, snapshot: persisted(first) })
  clock.increment(60_000)
  t.equal(second.value(), 'pin', 'the wait did not survive')
  t.same(second.send('user_input_timeout'), [speak('You entered 5.')])
})
