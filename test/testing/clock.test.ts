import t from 'tap'
import { TestClock } from '../../lib/testing'

t.test('timers fire in the order they fall due, each at its own time', async (t) => {
  const clock = new TestClock()
  const fired: Array<[string, number]> = []
  clock.setTimeout(() => fired.push(['b', clock.now()]), 200)
  clock.setTimeout(() => fired.push(['a', clock.now()]), 100)
  clock.setTimeout(() => fired.push(['a2', clock.now()]), 100)
  clock.setTimeout(() => fired.push(['late', clock.now()]), 1000)
  t.equal(clock.pending, 4)
  await clock.advance(500)
  t.same(fired, [['a', 100], ['a2', 100], ['b', 200]], 'of two due at once, the one set first fires first')
  t.equal(clock.now(), 500)
  t.equal(clock.pending, 1)
})

t.test('a timer set by a timer fires within the same advance when it falls due', async (t) => {
  const clock = new TestClock()
  const fired: number[] = []
  const again = (): void => { fired.push(clock.now()); if (fired.length < 3) clock.setTimeout(again, 100) }
  clock.setTimeout(again, 100)
  await clock.advance(250)
  t.same(fired, [100, 200])
  await clock.advance(50)
  t.same(fired, [100, 200, 300])
})

t.test('promise reactions run between timers, as they would in real time', async (t) => {
  const clock = new TestClock()
  const seen: string[] = []
  clock.setTimeout(() => { Promise.resolve().then(() => seen.push('reaction')) }, 10)
  clock.setTimeout(() => seen.push('second timer'), 20)
  await clock.advance(20)
  t.same(seen, ['reaction', 'second timer'])
})

t.test('a cleared timer never fires; time cannot go backwards', async (t) => {
  const clock = new TestClock()
  let fired = false
  const id = clock.setTimeout(() => { fired = true }, 10)
  clock.clearTimeout(id)
  clock.setTimeout(() => {}, -5)
  await clock.advance(0)
  t.notOk(fired)
  t.equal(clock.pending, 0, 'a negative delay is due at once')
  await t.rejects(clock.advance(-1), /cannot advance the clock by -1 ms/)
  await t.rejects(clock.advance(Number.NaN), RangeError)
})
