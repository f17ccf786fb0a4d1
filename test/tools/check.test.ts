import t from 'tap'
import { emit, enqueueActions, setup, type AnyStateMachine } from 'xstate'
import { hangup, setupFlow, speak, transfer } from '../../lib'
import { checkFlow, type Finding } from '../../lib/tools/check'
import { emitsOf, restingStates } from '../../lib/tools/flow-emits'
import { exampleFlows } from '../fixtures/example-flows'

const toAgent = transfer({ target_phone_number: '+4930123456', caller_id_name: 'Acme', caller_id_number: '+4930999888', timeout: 20 })

function rules (machine: AnyStateMachine, events?: string[]): string[] {
  return checkFlow(machine, { events }).map((finding: Finding) => `${finding.level} ${finding.rule} ${finding.state}`)
}

// What examples/custom-event-flow.ts declares in its types (test/cli/declared-events.test.ts reads it with TypeScript).
const declared = ['booking_confirmed']

for (const [name, machine] of exampleFlows) {
  t.test(`${name} passes clean`, async (t) => {
    t.same(rules(machine, declared), [])
  })
}

t.test('the custom event is unknown unless declared', async (t) => {
  const custom = exampleFlows.find(([name]) => name.startsWith('examples/custom-event-flow.ts')) as [string, AnyStateMachine]
  t.same(rules(custom[1]), ['error unknown-event waiting'])
})

t.test('unknown-event: an event the protocol does not send, with a near name suggested', async (t) => {
  const typo = setupFlow().createMachine({
    initial: 'a',
    states: { a: { on: { user_speaks: 'b', 'xstate.done.actor.x': 'b', '*': 'b' } }, b: { type: 'final' } }
  })
  const [finding] = checkFlow(typo)
  t.same(rules(typo), ['error unknown-event a'])
  t.equal(finding.message, 'waits for "user_speaks", which the protocol does not send (did you mean "user_speak"?); if the service sends it, declare it (check --types reads a TypeScript flow\'s types.events, --event names it)')
  const unlike = setup({}).createMachine({ initial: 'a', states: { a: { on: { booking_confirmed: 'b' } }, b: { type: 'final' } } })
  t.notMatch(checkFlow(unlike)[0].message, /did you mean/)
  t.same(rules(unlike, ['booking_confirmed']), [], 'an event declared is known')
  t.same(rules(setupFlow().createMachine({ initial: 'a', states: { a: { on: { user_speak: 'b' } }, b: { type: 'final' } } })), [])
})

t.test('unreachable: a state nothing leads to, named once for all it holds', async (t) => {
  const lost = setupFlow().createMachine({
    initial: 'a',
    states: {
      a: { on: { session_end: 'done' } },
      island: { initial: 'x', states: { x: { on: { session_end: 'y' } }, y: { type: 'final' } } },
      done: { type: 'final' }
    }
  })
  t.same(rules(lost), ['error unreachable island'])
  const found = setupFlow().createMachine({
    initial: 'a',
    states: {
      a: { on: { session_end: '#deep', dtmf_received: 'par' } },
      island: { initial: 'x', states: { x: { on: { user_speak: 'y' } }, y: { id: 'deep', type: 'final' } } },
      par: { type: 'parallel', states: { one: { type: 'final' }, two: { type: 'final' } } }
    }
  })
  t.same(rules(found).filter((rule) => rule.includes('unreachable')), ['error unreachable island.x'],
    'a target deep inside reaches its parents, not their initial states; parallel regions are entered')
})

t.test('dead-end: a state no event leaves, unless it is final or hangs up', async (t) => {
  const stuck = setupFlow().createMachine({
    initial: 'a',
    states: {
      a: { on: { session_start: 'wait', dtmf_received: 'bye', user_speak: { target: 'later', actions: [emit(speak('Bye.')), emit(hangup())] } } },
      wait: { on: { dtmf_received: { actions: emit(speak('Still here.')) } } },
      bye: { entry: [emit(speak('Bye.')), emit(hangup())] },
      later: {}
    }
  })
  t.same(rules(stuck), ['error dead-end wait'])
  t.match(checkFlow(stuck)[0].message, /a call here is stuck/)
  const freed = setupFlow().createMachine({
    initial: 'a',
    on: { session_end: '.done' },
    states: { a: { on: { session_start: 'wait' } }, wait: {}, done: { type: 'final' } }
  })
  t.same(rules(freed), [], 'a transition of a state above is a way out')
})

t.test('transfer-without-fallback: a transfer with a timeout where session_start is not handled', async (t) => {
  const lost = setupFlow().createMachine({
    initial: 'a',
    on: { session_end: '.done' },
    states: {
      a: { on: { session_start: { target: 'away', actions: emit(toAgent) } } },
      away: { entry: emit(transfer({ ...toAgent, timeout: undefined })), on: { dtmf_received: 'gone' } },
      gone: { entry: emit(toAgent), always: { target: 'done', actions: emit(toAgent) } },
      done: { type: 'final' }
    }
  })
  t.same(rules(lost), ['error transfer-without-fallback a', 'error transfer-without-fallback gone', 'error transfer-without-fallback gone'])
  t.same(checkFlow(lost).map((finding) => finding.message.split(',')[0]), ['on session_start', 'on entry', 'on always'])
  t.match(checkFlow(lost)[0].message, /^on session_start, a transfer with a timeout comes back as session_start/)
  const back = setupFlow().createMachine({
    initial: 'a',
    on: { session_end: '.done' },
    states: {
      a: { on: { session_start: 'offer' } },
      offer: { entry: emit(toAgent), initial: 'ringing', states: { ringing: { on: { session_start: '#back' } } } },
      back: { id: 'back', entry: emit(toAgent), always: 'waiting' },
      waiting: { on: { '*': 'a' } },
      done: { type: 'final' }
    }
  })
  t.same(rules(back), [], 'handled in the initial child, or where always leads, or by a wildcard')
})

t.test('silence-not-handled: a speak that waits for the caller where user_input_timeout is not handled', async (t) => {
  const deaf = setupFlow().createMachine({
    initial: 'a',
    on: { session_end: '.done' },
    states: {
      a: { on: { session_start: { actions: emit(speak('Your name?', { user_input_timeout_seconds: 5 })) } } },
      done: { type: 'final' }
    }
  })
  t.same(rules(deaf), ['error silence-not-handled a'])
  t.match(checkFlow(deaf)[0].message, /^on session_start, a speak waits for the caller/)
  const listening = setupFlow().createMachine({
    initial: 'a',
    on: { session_end: '.done' },
    states: {
      a: {
        entry: emit(speak('Your name?', { user_input_timeout_seconds: 5 })),
        initial: 'x',
        on: { session_start: { actions: emit(speak('Your name?', { user_input_timeout_seconds: 5 })) } },
        states: { x: { on: { user_input_timeout: { actions: emit(speak('Hello?')) } } } }
      },
      done: { type: 'final' }
    }
  })
  t.same(rules(listening), [], 'a transition that stays is answered by the states inside it')
})

t.test('the states a step rests in: entered ones, their initial children, and where always leads', async (t) => {
  const machine = setup({}).createMachine({
    initial: 'a',
    states: {
      a: { always: [{ target: 'b', guard: () => false }, { actions: () => {} }] },
      b: { always: { target: 'a', guard: () => false } }
    }
  })
  t.same(restingStates([machine.root.states.a, machine.root.states.a]).map((node) => node.key), ['a', 'b'], 'each once, loops and all')
})

t.test('shadowed-transition: a warning for transitions after one without a guard', async (t) => {
  const hidden = setupFlow().createMachine({
    initial: 'a',
    states: {
      a: {
        on: { dtmf_received: [{ target: 'b' }, { target: 'a', guard: () => true }] },
        always: [{ target: 'b', guard: () => false }, { target: 'b' }]
      },
      b: { type: 'final' }
    }
  })
  t.same(checkFlow(hidden), [{ level: 'warning', rule: 'shadowed-transition', state: 'a', message: 'on dtmf_received: 1 transition(s) after one without a guard are never taken' }])
})

t.test('what an action emits, as far as it is known', async (t) => {
  const machine = setup({
    types: { context: {} as { name: string }, emitted: {} as ReturnType<typeof speak> },
    actions: {
      greet: emit(speak('Hi')),
      greetBy: emit((_, params) => speak(`Hi ${(params as { name: string }).name}`)),
      plain: () => {},
      enqueued: enqueueActions(({ enqueue }) => { enqueue.emit(speak('Hi')) })
    }
  }).createMachine({ context: { name: 'Ada' } })
  t.same(emitsOf('greet', machine), [{ action: speak('Hi'), known: 'written' }])
  t.same(emitsOf({ type: 'greetBy', params: { name: 'Bo' } }, machine), [{ action: speak('Hi Bo'), known: 'computed' }])
  t.same(emitsOf(emit(({ context }: { context: { name: string } }) => speak(`Hi ${context.name}`)), machine), [{ action: speak('Hi Ada'), known: 'computed' }], 'called with the initial context')
  const needsCall = ({ event }: { event: { session: { id: string } } }): ReturnType<typeof speak> => speak(event.session.id)
  t.same(emitsOf(emit(needsCall as never), machine), [], 'it needs a call')
  t.same(emitsOf(emit((() => 'not an action') as never), machine), [])
  t.same(emitsOf('plain', machine), [])
  t.same(emitsOf('enqueued', machine), [], 'what enqueueActions emits is not known')
  t.same(emitsOf('missing', machine), [])
  const fromInput = setup({}).createMachine({ context: () => ({ name: 'x' }) })
  t.same(emitsOf(emit(({ context }: { context: { name?: string } }) => speak(String(context.name))), fromInput), [{ action: speak('undefined'), known: 'computed' }], 'an empty context when a function makes it')
})
