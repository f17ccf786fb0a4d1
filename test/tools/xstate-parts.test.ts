import t from 'tap'
import { and, assign, createMachine, emit, enqueueActions, getMicrosteps, initialTransition, not, or, raise, sendTo } from 'xstate'
import {
  builtinAction, compositeGuard, emittedEvents, invokedLogic, isDelayAction, ownActions, stateNodes, targetsOf, transitionKey, transitionsOf
} from '../../lib/tools/xstate-parts'

// These read how XState keeps a machine's parts at run time. When an upgrade changes that, this file fails first.

t.test('built-in actions keep their argument where the adapter reads it', async (t) => {
  const event = { type: 'speak', text: 'Hi' }
  t.same(builtinAction(emit(event)), { kind: 'emit', event, to: undefined, assignment: undefined })
  t.same(builtinAction(sendTo('child', { type: 'go' })), { kind: 'sendTo', event: { type: 'go' }, to: 'child', assignment: undefined })
  t.same(builtinAction(assign({ n: 1 }))?.assignment, { n: 1 })
  t.same(builtinAction(raise({ type: 'tick' }))?.event, { type: 'tick' })
  t.equal(builtinAction(enqueueActions(() => {}))?.kind, 'enqueueActions')
  t.equal(builtinAction(() => {}), undefined, "the author's own function")
  t.equal(builtinAction('named'), undefined)
  t.equal(builtinAction(Object.assign(() => {}, { type: 'mine' })), undefined, 'a function with a type of its own')
})

t.test('and, or and not keep the guards they combine', async (t) => {
  const inner = (): boolean => true
  t.same(compositeGuard(and(['a', inner])), { kind: 'and', guards: ['a', inner] })
  t.same(compositeGuard(or(['a', 'b'])), { kind: 'or', guards: ['a', 'b'] })
  t.same(compositeGuard(not('a')), { kind: 'not', guards: ['a'] })
  t.equal(compositeGuard(inner), undefined)
  t.equal(compositeGuard('named'), undefined)
  t.equal(compositeGuard(Object.assign(function other () {}, { check: () => true, guards: [] })), undefined, 'only and, or and not')
})

const machine = createMachine({
  id: 'm',
  initial: 'a',
  states: {
    a: {
      after: { 100: 'b' },
      on: { go: [{ target: 'b', guard: () => false }, { target: 'c' }], stay: {} },
      invoke: { id: 'kid', src: createMachine({ id: 'kid' }) }
    },
    b: { always: [{ target: 'c', guard: () => false }, { target: 'c' }] },
    c: { invoke: [{ src: 'named' }] }
  }
})

t.test('XState adds a raise and a cancel for each delay, and the adapter tells them apart', async (t) => {
  const a = machine.root.states.a
  t.equal(a.entry.length, 1)
  t.equal(a.exit.length, 1)
  t.ok(isDelayAction(a.entry[0]))
  t.ok(isDelayAction(a.exit[0]))
  t.notOk(isDelayAction(raise({ type: 'tick' })))
  t.notOk(isDelayAction('named'))
  t.same(ownActions([...a.entry, 'mine']), ['mine'])
})

t.test('states, transitions, their targets and keys', async (t) => {
  t.same(stateNodes(machine).map((node) => node.id), ['m', 'm.a', 'm.b', 'm.c'])
  const a = transitionsOf(machine.root.states.a).map(({ eventType, index }) => `${eventType} ${index}`)
  t.same(a, ['go 0', 'go 1', 'stay 0', 'xstate.after.100.m.a 0'])
  const b = transitionsOf(machine.root.states.b)
  t.same(b.map(({ eventType, index, transition }) => [eventType, index, transitionKey(machine.root.states.b, transition)]), [['', 0, 'm.b always 0'], ['', 1, 'm.b always 1']])
  t.same(targetsOf(b[0].transition).map((node) => node.id), ['m.c'])
  t.same(targetsOf(transitionsOf(machine.root.states.a)[2].transition), [])
  t.equal((invokedLogic(machine.root.states.a, 0) as { id: string }).id, 'kid', 'inline logic, read from the config')
  t.equal(invokedLogic(machine.root.states.c, 0), 'named')
})

t.test('pure transitions return emit actions with their event in params', async (t) => {
  const speaker = createMachine({ initial: 'a', states: { a: { on: { go: { actions: [emit({ type: 'speak' }), raise({ type: 'x' })] } } } } })
  const [snapshot] = initialTransition(speaker)
  const [[, actions]] = getMicrosteps(speaker, snapshot, { type: 'go' })
  t.same(emittedEvents(actions), [{ type: 'speak' }])
})
