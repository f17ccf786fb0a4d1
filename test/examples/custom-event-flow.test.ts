import t from 'tap'
import { hangup, speak } from '../../lib'
import { runScript } from '../../lib/testing'
import { flow } from '../../examples/custom-event-flow'

t.test('the declared event reaches the flow and is answered', async (t) => {
  const turns = await runScript(flow, ['start', { send: { type: 'booking_confirmed', reference: 'A17' } }])
  t.same(turns[0].actions, [], 'the flow waits for the booking')
  t.same(turns[1].actions, [speak('Booking A17 is confirmed.'), hangup()])
  t.equal(turns.at(-1)?.move, 'ended')
})
