import t from 'tap'
import { createActor, createMachine, fromCallback, fromObservable, fromPromise, fromTransition } from 'xstate'
import { activeWork, anySettled, isPromiseLogic } from '../../lib/sessions/xstate-adapter'

t.test('only promise logic counts as work a reply waits for', async (t) => {
  t.equal(isPromiseLogic(fromPromise(async () => 1)), true)
  t.equal(isPromiseLogic(fromCallback(() => {})), false)
  t.equal(isPromiseLogic(fromObservable(() => ({ subscribe: () => ({ unsubscribe () {} }) }) as never)), false)
  t.equal(isPromiseLogic(fromTransition((state) => state, 0)), false)
  const logic = fromPromise(async () => 1)
  t.equal(isPromiseLogic(logic), isPromiseLogic(logic), 'asked once, remembered')
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
