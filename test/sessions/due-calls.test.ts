import t from 'tap'
import { LocalDueCalls } from '../../lib/sessions/due-calls'
import { TestClock } from '../../lib/testing'

t.test('parked calls are woken when their first delay is due, the soonest first, each once', async (t) => {
  const clock = new TestClock()
  const woken: Array<[string, number]> = []
  const due = new LocalDueCalls(clock, () => clock.now(), (id) => woken.push([id, clock.now()]))
  due.set('late', 3000)
  due.set('early', 1000)
  t.equal(clock.pending, 1, 'one timer for all of them, armed for the soonest')
  due.set('gone', 2000)
  due.set('gone', undefined)
  due.set('never', undefined)
  await clock.advance(5000)
  t.same(woken, [['early', 1000], ['late', 3000]], 'each at its due time; the one taken back never')
  t.equal(clock.pending, 0)
  due.set('again', 6000)
  due.clear()
  await clock.advance(5000)
  t.equal(woken.length, 2, 'cleared: nothing more is woken')
})
