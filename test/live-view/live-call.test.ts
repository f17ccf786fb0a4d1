import t from 'tap'
import { createMachine } from 'xstate'
import { liveCall, maskNumber } from '../../lib/live-view/live-call'
import type { CallView } from '../../lib'

const flow = createMachine({
  id: 'f',
  initial: 'a',
  states: {
    a: { on: { go: 'b', stay: { actions: () => {} } }, after: { 1000: 'b' } },
    b: { type: 'parallel', states: { x: { initial: 'x1', states: { x1: {} } }, y: {} } },
    c: { type: 'final' }
  }
})

const view = (fields: Partial<CallView>): CallView => ({
  id: 'v', session: { id: 'v' }, status: 'active', state: 'a', context: {}, pendingActions: 0, startedAt: 1, lastEventAt: 2, ...fields
})

t.test('numbers are hidden but their last three digits', async (t) => {
  t.equal(maskNumber('4915790000123'), '•••123')
  t.equal(maskNumber('12'), '•••12')
  t.equal(maskNumber(undefined), undefined)
})

t.test('the other party is the caller inbound and the callee outbound', async (t) => {
  const session = { id: 'v', from_phone_number: '4911111111111', to_phone_number: '4922222222222' }
  t.equal(liveCall(view({ session: { ...session, direction: 'inbound' } }), flow).party, '•••111')
  t.equal(liveCall(view({ session: { ...session, direction: 'outbound' } }), flow).party, '•••222')
  t.equal(liveCall(view({ session }), flow).party, '•••111', 'no direction: inbound')
})

t.test('active states, parents first, and the leaves as paths', async (t) => {
  t.match(liveCall(view({ state: { b: { x: 'x1', y: {} } } }), flow), { active: ['f.b', 'f.b.x', 'f.b.x.x1', 'f.b.y'], states: ['b.x.x1', 'b.y'] })
  t.match(liveCall(view({ status: 'failed', state: undefined }), flow), { status: 'failed', active: [], states: [] }, 'a failed call has no state')
})
