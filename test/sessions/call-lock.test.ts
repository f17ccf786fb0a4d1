import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { RENEWED_LEASE } from '../../lib/sessions/call-lock'
import { HeldStore } from '../fixtures/held-store'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, keepAlive, post } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

t.test('a turn longer than the lease keeps its lock: another instance trying it just after the lease would have run out still waits', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const store = new HeldStore({ url, prefix })
  const app: FastifyInstance = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow: chatFlow(new Gates()), replyTimeout: 60_000, store })
  t.teardown(() => app.close())
  const id = randomUUID()
  await post(app, event('session_start', id))

  const hold = store.holdNextSave()
  const turn = post(app, event('user_speak', id, { text: 'one' }))
  await hold.reached
  // Another instance lines up for the call's lock, and waits past the first lease's end.
  const elsewhere = new RedisStore({ url, prefix })
  t.teardown(() => elsewhere.close())
  const wait = RENEWED_LEASE + 500
  await t.rejects(elsewhere.lock(id, { wait, lease: RENEWED_LEASE, onContention: () => {} }), { code: 'FST_AIFLOW_CALL_BUSY' },
    `the lock is still held ${wait} ms after the turn took it, its lease renewed`)
  hold.release()
  t.same(await turn, { status: 200, body: { type: 'speak', session_id: id, text: 'You said one (turn 1)' } }, 'the turn saves through the lock it kept')
})

/** The call's lock taken by another instance, for as long as the test holds it. */
async function heldElsewhere (t: Teardown, url: string, prefix: string, id: string): Promise<() => Promise<boolean>> {
  const elsewhere = new RedisStore({ url, prefix })
  t.teardown(() => elsewhere.close())
  const { token } = await elsewhere.lock(id, { wait: 1000, lease: 60_000, onContention: () => {} })
  return () => elsewhere.unlock(id, token)
}

type Teardown = { teardown: (fn: () => unknown) => void }

/** An instance with a started call, whose lock another instance then takes. */
async function startedWithLockElsewhere (t: Teardown, gates: Gates): Promise<{ app: FastifyInstance, id: string, unlock: () => Promise<boolean> }> {
  const prefix = `test:${randomUUID()}:`
  const app: FastifyInstance = Fastify({ logger: { level: 'silent' } })
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 300, store: new RedisStore({ url, prefix }) })
  t.teardown(() => app.close())
  const id = randomUUID()
  await post(app, event('session_start', id))
  return { app, id, unlock: await heldElsewhere(t, url, prefix, id) }
}

t.test('an event whose wait for the lock gave up leaves no event counted behind the call: its session_end lets go of it', async (t) => {
  const { app, id, unlock } = await startedWithLockElsewhere(t, new Gates())
  // Its ticket lines up (this instance hears it do so), and gives up at the reply deadline.
  t.equal((await post(app, event('user_speak', id, { text: 'one' }))).status, 503)
  t.ok(await unlock())
  t.equal((await post(app, event('session_end', id))).status, 204)
  t.equal(app.aiFlow.liveCalls, 0, 'nothing waits behind session_end: the call is let go of, not begun again')
})

t.test('an event whose wait for the lock gave up leaves no event counted behind the call: the next reply waits for its work', async (t) => {
  const gates = new Gates()
  const { app, id, unlock } = await startedWithLockElsewhere(t, gates)
  t.equal((await post(app, event('user_speak', id, { text: 'one' }))).status, 503)
  t.ok(await unlock())
  const reply = post(app, event('user_speak', id, { text: 'look up weather' }))
  await gates.started('weather')
  gates.open('weather')
  t.same(await reply, { status: 200, body: { type: 'speak', session_id: id, text: 'The weather is fine.' } }, 'the reply waited for the lookup')
})
