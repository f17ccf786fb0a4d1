import t from 'tap'
import { validateEvent } from '../../lib/protocol'
t.test('smoke', async (t) => {
  t.equal(validateEvent({ type: 'x', session: { id: 'a' } }).ok, true)
})
