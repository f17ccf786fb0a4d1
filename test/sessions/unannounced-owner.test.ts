import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { fastifyAiFlow } from '../../lib'
import { RedisStore } from '../../lib/redis'
import type { LockChange, LockedRecord, LockOptions, WorkLeases } from '../../lib/stores/store'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, keepAlive, post } from '../fixtures/helpers'

// Other instances take the owner of a call's work for gone, and run the
// work again, when the store does not know that the owner lives. An
// instance whose announcements failed (as it started)
// announces itself before it writes a record naming it as an owner.

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

/**
 * A Redis store whose announcements fail, as a store blip would have it,
 * until the turn of the call's second event has the call's lock.
 */
class FirstAnnounceFails extends RedisStore {
  announcements = 0
  #locks = 0
  /** Whether an announcement had been taken when a record naming an owner of work was first written. */
  announcedBeforeOwner: boolean | undefined

  override async announce (instance: string, ttl: number, leases?: WorkLeases): Promise<void> {
    if (this.#locks < 2) throw new Error('the store did not answer')
    await super.announce(instance, ttl, leases)
    this.announcements++
  }

  override async lock (id: string, options: LockOptions): Promise<LockedRecord> {
    const locked = await super.lock(id, options)
    this.#locks++
    return locked
  }

  override async unlock (id: string, token: string, change?: LockChange): Promise<boolean> {
    if (change !== undefined && 'set' in change && (change.set.work ?? []).length > 0) this.announcedBeforeOwner ??= this.announcements > 0
    return await super.unlock(id, token, change)
  }
}

async function instance (t: Teardown, store: RedisStore, gates: Gates): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: 'silent' } })
  // Replies do not wait for lookups: they outlive the events that start them.
  await app.register(fastifyAiFlow, { flow: chatFlow(gates), replyTimeout: 10, store, drainTimeout: 0 })
  t.teardown(() => app.close())
  return app
}

t.test('work of an instance whose first announcement failed is not run again elsewhere while it runs', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const owner = new FirstAnnounceFails({ url, prefix })
  const a = await instance(t, owner, gates)
  const b = await instance(t, new RedisStore({ url, prefix }), gates)
  const id = randomUUID()
  t.equal((await post(a, event('session_start', id))).status, 200)
  t.equal((await post(a, event('user_speak', id, { text: 'look up weather' }))).status, 204)
  await gates.started('weather')
  t.equal(owner.announcedBeforeOwner, true, 'the instance announced itself again before its record named it')
  // B restores the call, finds its lookup's owner alive, and stands in for it.
  t.match(await post(b, event('dtmf_received', id, { digit: '1' })), { status: 200 })
  t.same(Object.fromEntries(gates.runs), { weather: 1 }, 'the lookup ran once')
  gates.open('weather')
})
