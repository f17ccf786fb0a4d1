import t from 'tap'
import { assign, createActor, emit } from 'xstate'
import { hangup, setupFlow, speak } from '../../lib/flow'
import type { FlowAction } from '../../lib/protocol'

const session = { id: 'session-1', direction: 'inbound' as const }

t.test('setupFlow() with no configuration builds a machine that receives protocol events and emits actions', async (t) => {
  const machine = setupFlow().createMachine({
    on: { session_start: { actions: emit(speak('Hello!')) } }
  })
  const actor = createActor(machine, { input: { session } })
  const emitted: FlowAction[] = []
  actor.on('*', (action) => { emitted.push(action) })
  actor.start()

  actor.send({ type: 'session_start', session })

  t.same(emitted, [{ type: 'speak', text: 'Hello!' }])
})

t.test('setupFlow(config) keeps the configuration: context from the input, named actions and guards', async (t) => {
  const machine = setupFlow({
    types: { context: {} as { caller: string, keys: string[] } },
    actions: {
      remember: assign({ keys: ({ context, event }) => event.type === 'dtmf_received' ? [...context.keys, event.digit] : context.keys }),
      goodbye: emit(({ context }) => speak(`Goodbye, ${context.caller}.`))
    },
    guards: { isHash: ({ event }) => event.type === 'dtmf_received' && event.digit === '#' }
  }).createMachine({
    id: 'keys',
    context: ({ input }) => ({ caller: input.session.from_phone_number ?? 'caller', keys: [] }),
    on: {
      dtmf_received: [
        { guard: 'isHash', actions: ['goodbye', emit(hangup())] },
        { actions: 'remember' }
      ]
    }
  })
  const actor = createActor(machine, { input: { session: { ...session, from_phone_number: '+4921155660' } } })
  const emitted: FlowAction[] = []
  actor.on('*', (action) => { emitted.push(action) })
  actor.start()

  actor.send({ type: 'dtmf_received', digit: '4', session })
  actor.send({ type: 'dtmf_received', digit: '2', session })
  actor.send({ type: 'dtmf_received', digit: '#', session })

  t.equal(machine.id, 'keys')
  t.same(actor.getSnapshot().context.keys, ['4', '2'])
  t.same(emitted, [{ type: 'speak', text: 'Goodbye, +4921155660.' }, { type: 'hangup' }])
})

t.test('the types hold a flow to the protocol (checked by the typecheck, run here too)', async (t) => {
  const machine = setupFlow().createMachine({
    on: {
      // @ts-expect-error a flow cannot emit an action the protocol does not have
      session_start: { actions: emit({ type: 'dance' }) },
      // @ts-expect-error nor wait for an event the protocol does not have
      call_parked: {}
    }
  })
  t.ok(machine.root, 'still a machine at run time')
})
