import t from 'tap'
import { chainedTimeout, realClock } from '../../lib/sessions/real-clock'
import { keepAlive } from '../fixtures/helpers'

// Every timer of the clock is unref'd, as a server's should be: the test keeps the process up.
t.beforeEach((t) => keepAlive(t))

t.test('a wait longer than one timer takes is a chain of timers, each at most the longest', async (t) => {
  const started = Date.now()
  await new Promise<void>((resolve) => chainedTimeout(resolve, 30, 10))
  t.ok(Date.now() - started >= 29, 'the whole wait, not the first link of it')
})

t.test('the real clock\'s timers can be cleared, chained or not', async (t) => {
  let fired = false
  const handle = realClock.setTimeout(() => { fired = true }, 5)
  realClock.clearTimeout(handle)
  await new Promise<void>((resolve) => realClock.setTimeout(resolve, 20))
  t.equal(fired, false)
})
