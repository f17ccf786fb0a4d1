import t from 'tap'
import Fastify from 'fastify'
import { fromPromise } from 'xstate'
import { fastifyAiFlow, MemoryStore, setupFlow, workKey } from '../../lib'
import { event, eventually, post } from '../fixtures/helpers'

/** A flow whose every `begin` event begins one piece of work, which notes its key. */
function keyedFlow (keys: string[], begin = 'session_start') {
  return setupFlow({
    actors: {
      book: fromPromise(async ({ self }) => { keys.push(workKey(self) as string) })
    }
  }).createMachine({
    initial: 'waiting',
    states: {
      waiting: { on: { [begin]: 'booking' } },
      booking: { invoke: { src: 'book', onDone: 'waiting' } }
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

t.test('a call restored from a record written before incarnations were kept keys its work with incarnation 0', async (t) => {
  const keys: string[] = []
  const store = new MemoryStore()
  const app = Fastify()
  // Every idle call parked: its record is in the store between events.
  await app.register(fastifyAiFlow, { flow: keyedFlow(keys, 'dtmf_received'), store, liveActors: 0 })
  t.teardown(() => app.close())
  const press = async (): Promise<number> => (await post(app, event('dtmf_received', 'old', { digit: '1' }))).status
  t.equal(await press(), 204)
  t.match(keys, [/^old:[1-9]\d*\.1:/], 'a call begun here has an incarnation')
  // Another call's event parks it, idle again once its work ended.
  await post(app, event('session_start', 'other'))
  t.ok(await eventually(async () => (await store.get('old')) !== undefined), 'parked')
  const record = await store.get('old')
  t.equal(typeof record?.incarnation, 'number', 'with its incarnation')
  delete (record as { incarnation?: number }).incarnation
  t.equal(await press(), 204)
  t.match(keys[1], /^old:0\.\d+:/)
})
