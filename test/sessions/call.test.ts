import t from 'tap'
import { createActor, createMachine } from 'xstate'
import { Call } from '../../lib/sessions/call'
import { WorkRunner } from '../../lib/sessions/work-runner'
import { ActorHost } from '../../lib/sessions/actor-host'
import { hangup as hangupAction, type AiFlowAction } from '../../lib'

const hangup: AiFlowAction = { type: 'hangup', session_id: 'c' }

const bargeIn: AiFlowAction = { type: 'barge_in', session_id: 'c' }

t.test('emitted actions go to the open reply, else to a push sink, else wait for the next reply', async (t) => {
  const call = new Call('c', { id: 'c' }, 0)
  call.openReply(true)
  call.collect(hangup)
  t.same(call.closeReply(), [hangup])
  call.collect(hangup)
  t.same(call.pending, [hangup])
  const pushed: AiFlowAction[][] = []
  call.touched(0, (actions: AiFlowAction[]) => { pushed.push(actions); return true })
  call.collect(bargeIn)
  call.collect(hangup)
  t.same(pushed, [], 'handed over once the tick is done')
  await Promise.resolve()
  t.same(pushed, [[bargeIn, hangup]], 'what one tick emitted leaves together')
  t.same(call.pending, [hangup], 'nothing more was held back')
})

t.test('what a sink cannot take, or what is left when the sink is gone, waits for the next reply', async (t) => {
  const call = new Call('c', { id: 'c' }, 0)
  call.touched(0, () => false)
  call.collect(hangup)
  await Promise.resolve()
  t.same(call.pending, [hangup], 'refused by the sink')
  call.touched(0, () => t.fail('the sink was released') as never)
  call.collect(bargeIn)
  call.released()
  await Promise.resolve()
  t.same(call.pending, [hangup, bargeIn], 'released before the tick ended')
  call.push([])
  call.flush()
  t.same(call.outbox, [], 'nothing to hand over')
})

t.test('tasks run one at a time in order, and a failed task does not stop the queue', async (t) => {
  const call = new Call('c', { id: 'c' }, 0)
  const order: number[] = []
  const slow = call.enqueue(async () => { await new Promise((resolve) => setTimeout(resolve, 20)); order.push(1) })
  const failing = call.enqueue(async () => { order.push(2); throw new Error('no') })
  const last = call.enqueue(async () => { order.push(3); return call.queued })
  t.equal(call.inFlight, 3)
  await slow
  await t.rejects(failing, { message: 'no' })
  t.equal(await last, 0, 'nothing waits behind the last task')
  t.same(order, [1, 2, 3])
  t.equal(call.inFlight, 0)
})

t.test('stopping a call without an actor is fine', async (t) => {
  const call = new Call('c', { id: 'c' }, 0)
  call.end()
  t.equal(call.toRecord('1').snapshot, undefined)
})

t.test('a flow that fails while a push transport holds the call sends the fallback there', async (t) => {
  const host = new ActorHost({
    flow: createMachine({}),
    flowVersion: 'v1',
    flows: {},
    replyTimeout: 10,
    fallback: () => [hangupAction()],
    log: { error () {} } as never,
    changed: () => t.fail('a pushed fallback needs no save'),
    now: Date.now,
    due: () => t.fail('no delay here'),
    work: new WorkRunner(() => {}, () => {})
  })
  const call = new Call('c', { id: 'c' }, 0)
  const pushed: AiFlowAction[][] = []
  call.touched(0, (actions: AiFlowAction[]) => { pushed.push(actions); return true })
  call.collect(bargeIn)
  host.fail(call, new Error('late'))
  host.fail(call, new Error('again'))
  await Promise.resolve()
  t.same(pushed, [[hangup]], 'once, instead of what the failed flow emitted before it failed')
})

t.test('a call\'s status changes only through its own methods', async (t) => {
  const call = new Call('s', { id: 's' }, 0)
  t.equal(call.status, 'new')
  const actor = createActor(createMachine({})).start()
  call.live(actor)
  t.equal(call.status, 'live')
  t.equal(call.actor, actor)
  call.park()
  t.same([call.status, call.actor, actor.getSnapshot().status], ['parked', undefined, 'stopped'], 'parked: its actor stopped')
  call.fail()
  t.same([call.status, call.failed], ['failed', true])
  call.restart(1)
  t.same([call.status, call.failed], ['new', false], 'a call that ended and began again')
  call.end()
  t.equal(call.status, 'ended')
})

t.test('an event lining up for the lock of a call with nothing in flight here is no event waiting behind a turn of it', async (t) => {
  const call = new Call('c', { id: 'c' }, 0)
  call.contention()
  t.equal(call.waiting, false, 'heard late: the turn it was about has ended')
  let waited: boolean | undefined
  await call.enqueue(async () => {
    call.contention()
    waited = call.waiting
  })
  t.equal(waited, true, 'heard while a turn runs: that turn stops waiting for work')
  t.equal(call.waiting, false, 'once nothing is in flight, nothing waits behind')
})
