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

t.test('a due time past what one timer can wait is reached by timers that each wait at most 2^31 - 1 ms', async (t) => {
  const clock = new TestClock()
  const waits: number[] = []
  const spy = { setTimeout: (fn: () => void, ms: number) => { waits.push(ms); return clock.setTimeout(fn, ms) }, clearTimeout: (id: unknown) => clock.clearTimeout(id) }
  const woken: string[] = []
  const due = new LocalDueCalls(spy, () => clock.now(), (id) => woken.push(id))
  const far = 2 ** 31 + 5000
  due.set('far', far)
  await clock.advance(2 ** 31 - 1)
  t.same(woken, [], 'not woken when the first timer ends')
  await clock.advance(far - clock.now())
  t.same(woken, ['far'])
  t.ok(waits.every((ms) => ms <= 2 ** 31 - 1), 'no timer asked to wait longer')
})

t.test('many calls parked and taken back: each due call is woken once, in due order, and what was taken back never', async (t) => {
  const clock = new TestClock()
  const woken: string[] = []
  const due = new LocalDueCalls(clock, () => clock.now(), (id) => woken.push(id))
  // In an order that makes the heap move entries both ways.
  const times = Array.from({ length: 300 }, (_, i) => ((i * 7919) % 300) + 1)
  times.forEach((time, i) => due.set(`c${i}`, time * 10))
  // Every other call taken back, and some moved: entries left behind are dropped.
  for (let i = 0; i < 300; i += 2) due.set(`c${i}`, undefined)
  for (let i = 1; i < 300; i += 4) due.set(`c${i}`, 5000 + i)
  await clock.advance(10_000)
  const expected = times.map((time, i) => ({ id: `c${i}`, at: i % 4 === 1 ? 5000 + i : time * 10 }))
    .filter((_, i) => i % 2 === 1)
    .sort((a, b) => a.at - b.at)
    .map((entry) => entry.id)
  t.same(woken, expected)
  t.equal(clock.pending, 0)
})
