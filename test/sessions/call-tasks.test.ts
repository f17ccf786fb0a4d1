import t from 'tap'
import { Call } from '../../lib/sessions/call'
import { CallTasks } from '../../lib/sessions/call-tasks'
import type { CallRecords } from '../../lib/sessions/call-records'

t.test('two drains at once both resolve once the last task is done', async (t) => {
  const tasks = new CallTasks({ claim: () => undefined } as unknown as CallRecords)
  let finish!: () => void
  const running = tasks.run(new Call('a', { id: 'a' } as never, 0), async () => { await new Promise<void>((resolve) => { finish = resolve }) })
  const drained: string[] = []
  const first = tasks.drain().then(() => drained.push('first'))
  const second = tasks.drain().then(() => drained.push('second'))
  finish()
  await running
  await Promise.all([first, second])
  t.same(drained.sort(), ['first', 'second'])
})
