import t from 'tap'
import { LockWait } from '../../lib/stores/redis-signals'

t.test('a wait woken during a try does not sleep after it', async (t) => {
  let done = 0
  const wait = new LockWait(() => { done++ })
  wait.wake()
  await wait.sleep(60_000)
  wait.reset()
  const sleeping = wait.sleep(60_000)
  wait.wake()
  await sleeping
  wait.done()
  t.equal(done, 1)
})
