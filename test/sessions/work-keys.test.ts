import t from 'tap'
import Fastify from 'fastify'
import { fromPromise } from 'xstate'
import { fastifyAiFlow, setupFlow, workKey } from '../../lib'
import { event, post } from '../fixtures/helpers'

/** A flow whose every session_start begins one piece of work, which notes its key. */
function keyedFlow (keys: string[]) {
  return setupFlow({
    actors: {
      book: fromPromise(async ({ self }) => { keys.push(workKey(self) as string) })
    }
  }).createMachine({
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'booking' } },
      booking: { invoke: { src: 'book', onDone: 'booked' } },
      booked: {}
    }
  })
}

t.test('a call begun again under the id of one that ended gives its work another key: the ended call\'s work is not taken for its own', async (t) => {
  const keys: string[] = []
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: keyedFlow(keys) })
  t.teardown(() => app.close())
  for (const type of ['session_start', 'session_end', 'session_start']) t.equal((await post(app, event(type, 'again'))).status < 300, true, type)
  t.equal(keys.length, 2)
  t.match(keys[0], /^again:\d+\.1:/, 'the call\'s id, its incarnation, the revision its start is saved with')
  t.match(keys[1], /^again:\d+\.1:/)
  t.not(keys[0], keys[1])
})
