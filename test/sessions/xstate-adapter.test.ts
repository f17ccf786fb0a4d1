import t from 'tap'
import { assign, createActor, createMachine, fromCallback, fromObservable, fromPromise, fromTransition, raise, waitFor, type AnyActorRef, type AnyStateMachine } from 'xstate'
import {
  activeWork, actorAt, actorPath, anySettled, armTimers, CallClock, fireTimer, isPromiseLogic, pendingTimers, routePromiseWork, routeWork, settleWork, tellInvoker
} from '../../lib/sessions/xstate-adapter'
import { TestClock } from '../../lib/testing'

t.test('only promise logic counts as work a reply waits for', async (t) => {
  t.equal(isPromiseLogic(fromPromise(async () => 1)), true)
  t.equal(isPromiseLogic(fromCallback(() => {})), false)
  t.equal(isPromiseLogic(fromObservable(() => ({ subscribe: () => ({ unsubscribe () {} }) }) as never)), false)
  t.equal(isPromiseLogic(fromTransition((state) => state, 0)), false)
})

t.test('work is found below child machines, and settles when it fails too', async (t) => {
  let reject!: (err: Error) => void
  const failing = fromPromise(() => new Promise((_resolve, _reject) => { reject = _reject }))
  const child = createMachine({ invoke: { src: failing, onError: '.failed' }, initial: 'busy', states: { busy: {}, failed: {} } })
  const root = createActor(createMachine({ invoke: [{ src: child }, { src: fromCallback(() => {}) }] })).start()
  const work = activeWork(root, new Set())
  t.equal(work.length, 1, 'the promise inside the child machine, not the callback')
  t.same(activeWork(root, new Set(work)), [], 'known work is left out')
  const { settled, cancel } = anySettled(work)
  reject(new Error('down'))
  await settled
  cancel()
  t.same(activeWork(root, new Set()), [], 'nothing is running any more')
  root.stop()
})

t.test('promise logic is probed once: the answer is remembered for the logic', async (t) => {
  const logic = fromPromise(async () => 1)
  let probes = 0
  const transition = logic.transition
  logic.transition = (...args) => { probes++; return transition(...args) }
  t.equal(isPromiseLogic(logic), true)
  t.equal(isPromiseLogic(logic), true)
  t.equal(probes, 1, 'the second answer came from memory')
})

/*
 * What the adapter relies on in XState's internals. Should an upgrade
 * change any of it, these fail, naming what changed.
 */

const reminder = createMachine({
  id: 'm',
  initial: 'a',
  states: {
    a: { after: { 1000: 'b' }, on: { go: 'c' } },
    b: {},
    c: { entry: raise({ type: 'late' }, { delay: 500, id: 'nudge' }), on: { late: 'b' } }
  }
})

function clocked (machine: AnyStateMachine, clock: TestClock, fired: Array<() => void>, snapshot?: unknown) {
  const callClock = new CallClock(clock, () => clock.now(), (fire) => fired.push(fire))
  const actor = createActor(machine, { clock: callClock, snapshot: snapshot as never })
  callClock.attach(actor)
  return actor
}

t.test('XState files delays in system._snapshot._scheduledEvents, each with source, target, event, delay and id', async (t) => {
  const clock = new TestClock()
  const actor = clocked(reminder, clock, []).start()
  const scheduled = (actor.system as unknown as { _snapshot: { _scheduledEvents: Record<string, Record<string, unknown>> } })._snapshot._scheduledEvents
  const [entry] = Object.values(scheduled)
  t.match(entry, { source: actor, target: actor, event: { type: 'xstate.after.1000.m.a' }, delay: 1000, id: 'xstate.after.1000.m.a' })
  t.same(pendingTimers(actor), [{ id: 'xstate.after.1000.m.a', source: '', target: '', event: { type: 'xstate.after.1000.m.a' }, dueAt: 1000 }])
  actor.stop()
})

t.test('a call\'s clock stamps each delay with its due time on the flows\' clock, and hands it over when due', async (t) => {
  const clock = new TestClock()
  await clock.advance(250)
  const fired: Array<() => void> = []
  const actor = clocked(reminder, clock, fired).start()
  t.equal(pendingTimers(actor)[0].dueAt, 1250, 'due 1 s after it was armed, on the test clock')
  await clock.advance(1000)
  t.equal(fired.length, 1, 'handed over, not fired')
  t.same(actor.getSnapshot().value, 'a')
  fired[0]()
  t.same(actor.getSnapshot().value, 'b', 'firing it takes the transition')
  t.same(pendingTimers(actor), [], 'and it is no longer pending')
})

t.test('restored, a call\'s delays are armed again through system.scheduler.schedule, or returned when overdue', async (t) => {
  const clock = new TestClock()
  const first = clocked(reminder, clock, []).start()
  first.send({ type: 'go' })
  const timers = pendingTimers(first)
  t.match(timers, [{ id: 'nudge', event: { type: 'late' }, dueAt: 500 }])
  const snapshot = JSON.parse(JSON.stringify(first.getPersistedSnapshot()))
  first.stop()
  await clock.advance(200)
  const fired: Array<() => void> = []
  const restored = clocked(reminder, clock, fired, snapshot).start()
  t.same(armTimers(restored, timers, clock.now()), { overdue: [], lost: [] })
  t.equal(pendingTimers(restored)[0].dueAt, 500, 'the same due time')
  await clock.advance(300)
  t.equal(fired.length, 1, 'fired at its due time')
  const late = clocked(reminder, clock, [], snapshot).start()
  const { overdue } = armTimers(late, timers, clock.now())
  t.equal(overdue.length, 1, 'an overdue delay is returned, not armed')
  fireTimer(late, overdue[0])
  t.same(late.getSnapshot().value, 'b', 'and fired through system._relay')
})

t.test('actors are named by their path in the call\'s tree', async (t) => {
  const grandchild = createMachine({ initial: 'x', states: { x: {} } })
  const child = createMachine({ invoke: { id: 'inner', src: grandchild } })
  const root = createActor(createMachine({ invoke: { id: 'outer', src: child } })).start()
  const inner = actorAt(root, 'outer/inner')
  t.ok(inner !== undefined)
  t.equal(actorPath(inner as AnyActorRef), 'outer/inner')
  t.equal(actorPath(root), '')
  t.equal(actorAt(root, ''), root)
  t.equal(actorAt(root, 'outer/missing'), undefined)
  root.stop()
})

t.test('routed promise work: started by the route, settled by settleWork, for inline, named and nested logic', async (t) => {
  const inline = fromPromise(async () => 'inline ran')
  const named = fromPromise(async () => 'named ran')
  const nested = fromPromise(async () => 'nested ran')
  const child = createMachine({ initial: 'busy', states: { busy: { invoke: { src: nested, onDone: 'done' } }, done: { type: 'final' } } })
  const machine = createMachine({
    type: 'parallel',
    states: {
      one: { initial: 'busy', states: { busy: { invoke: { id: 'first', src: inline, onDone: { target: 'done', actions: assign(() => ({})) } } }, done: {} } },
      two: { invoke: [{ id: 'second', src: 'named' }, { id: 'listener', src: fromCallback(() => () => {}) }] },
      three: { invoke: { id: 'third', src: child } }
    }
  }).provide({ actors: { named } } as never)
  routePromiseWork(machine)
  const started: Array<{ path: string, result: Promise<unknown> }> = []
  const actor = createActor(machine)
  routeWork(actor, { start: (self, run) => started.push({ path: actorPath(self), result: run(new AbortController().signal, () => {}) }) })
  actor.start()
  t.same(started.map(({ path }) => path).sort(), ['first', 'second', 'third/0.(machine).busy'].sort(), 'each start went to the route')
  t.same(await Promise.all(started.map(({ result }) => result)).then((all) => all.sort()), ['inline ran', 'named ran', 'nested ran'])
  const first = actorAt(actor, 'first') as AnyActorRef
  t.equal(first.getSnapshot().status, 'active', 'the route ran the work; only settling it ends it')
  settleWork(first, true, 'inline ran')
  t.same(actor.getSnapshot().value, { one: 'done', two: {}, three: {} })
  // Restored as anything but active (XState starts what it restores), routed work does not run.
  const routedStart = (inline as unknown as { start: (state: unknown, scope: unknown) => void }).start
  routedStart({ status: 'done', input: undefined }, { self: first, system: actor.system, emit: () => {} })
  t.equal(started.length, 3, 'no start for work that is not active')
  // The same logic in an actor whose system has no route runs as XState runs it.
  const plain = createActor(createMachine({ invoke: { src: inline, onDone: '.done' }, initial: 'busy', states: { busy: {}, done: {} } })).start()
  await waitFor(plain, (snapshot) => snapshot.value === 'done')
  t.same(plain.getSnapshot().value, 'done')
  actor.stop()
})

t.test('routed work emits through the route\'s tell; tellInvoker hands the event to the state that invoked it', async (t) => {
  const talking = fromPromise<string, undefined, { type: 'said', text: string }>(async ({ emit }) => {
    emit({ type: 'said', text: 'first' })
    return 'done'
  })
  const machine = createMachine({
    context: { heard: [] as string[] },
    initial: 'busy',
    states: { busy: { invoke: { id: 'talker', src: talking }, on: { said: { actions: assign({ heard: ({ context, event }) => [...context.heard, (event as unknown as { text: string }).text] }) } } } }
  })
  routePromiseWork(machine)
  const told: Array<{ type: string }> = []
  const actor = createActor(machine)
  let ran: Promise<unknown> | undefined
  routeWork(actor, { start: (_self, run) => { ran = run(new AbortController().signal, (event) => told.push(event)) } })
  actor.start()
  t.equal(await ran, 'done')
  t.same(told, [{ type: 'said', text: 'first' }], 'what the work emitted went to tell, not to the child\'s listeners')
  t.same(actor.getSnapshot().context.heard, [], 'nothing reached the flow by itself')
  tellInvoker(actorAt(actor, 'talker') as AnyActorRef, told[0])
  t.same(actor.getSnapshot().context.heard, ['first'], 'the invoking state took the event')
})
