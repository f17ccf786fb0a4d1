import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { RedisStore } from '../../lib/redis'
import { LOCK } from '../../lib/stores/redis-scripts'
import type { SessionRecord } from '../../lib'
import { sharedRedis } from '../fixtures/redis-server'
import { eventually } from '../fixtures/helpers'

/*
 * A call's tickets come from the fence counter in its hash. Deleting the
 * call (its session_end) while other tickets wait in its line must keep
 * that counter, or the next ticket starts again at 1 and goes ahead of them.
 */

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Lock = (data: string, queue: string, ticket: string, lease: number, keep: number, channel: string, id: string) => Promise<[string, number, string?]>

/** A raw client that can run the LOCK script for a ticket already in line, as its waiting instance does when it comes back. */
function client (t: { teardown: (fn: () => unknown) => void }): Redis & { aiflowLock: Lock } {
  const redis = new Redis(url)
  redis.defineCommand('aiflowLock', { numberOfKeys: 2, lua: LOCK })
  t.teardown(() => redis.quit())
  return redis as Redis & { aiflowLock: Lock }
}

function store (t: { teardown: (fn: () => unknown) => void }, prefix: string): RedisStore {
  const created = new RedisStore({ url, prefix })
  t.teardown(() => created.close())
  return created
}

const record: SessionRecord = { version: '1', snapshot: { status: 'active' }, pending: [], session: { id: 'a' }, failed: false, revision: 1, startedAt: 1, updatedAt: 2 }
const lockOptions = { wait: 2000, lease: 5000, onContention: () => {} }

/** Puts a ticket in line the way the LOCK script does for an event that finds the lock held: from the fence, lapsing in `ms`. */
async function lineUp (redis: Redis, prefix: string, ms: number): Promise<string> {
  const ticket = String(await redis.hincrby(`${prefix}{a}`, 'fence', 1))
  const [seconds, micros] = await redis.time()
  await redis.hset(`${prefix}{a}:queue`, ticket, String(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + ms))
  await redis.pexpire(`${prefix}{a}:queue`, ms)
  return ticket
}

t.test('events queued behind session_end keep their order after the delete', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = client(t)
  const s = store(t, prefix)
  await s.set('a', record, 60_000)
  const end = await s.lock('a', lockOptions)
  // An event that reached Redis while session_end held the call, whose instance has not tried again yet.
  const queued = await lineUp(redis, prefix, 60_000)
  t.equal(await s.unlock('a', end.token, { delete: true }), true)
  t.equal(await s.get('a'), undefined, 'the call is gone')
  // The line's time read first: the fence's, read after, can only be lower.
  const lineTtl = await redis.pttl(`${prefix}{a}:queue`)
  const fenceTtl = await redis.pttl(`${prefix}{a}`)
  t.ok(fenceTtl > 0 && fenceTtl <= lineTtl, `the fence lapses with the line (in ${fenceTtl} ms, the line in ${lineTtl} ms)`)

  const order: string[] = []
  const later = store(t, prefix).lock('a', lockOptions).then((locked) => { order.push('later'); return locked })
  t.ok(await eventually(async () => await redis.hlen(`${prefix}{a}:queue`) === 2), 'the later event lines up behind the queued one')
  const [ticket, behind] = await redis.aiflowLock(`${prefix}{a}`, `${prefix}{a}:queue`, queued, 5000, 1000, `${prefix}locks`, 'a')
  if (behind >= 0) order.push('queued')
  t.same([ticket, behind], [queued, 1], 'the queued event takes the lock, with the later one behind it')
  t.equal(await s.unlock('a', queued), true)
  const { token } = await later
  t.ok(Number(token) > Number(queued), `the later event's ticket ${token} comes after ${queued}`)
  t.same(order, ['queued', 'later'])
  t.equal(await s.unlock('a', token, { delete: true }), true)
  t.equal(await redis.exists(`${prefix}{a}`, `${prefix}{a}:queue`), 0, 'with nobody in line, the delete leaves no key')
})

t.test('a deleted call\'s fence lapses with its line: no key is left behind', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = client(t)
  const s = store(t, prefix)
  await s.set('a', record, 60_000)
  const end = await s.lock('a', lockOptions)
  const queued = await lineUp(redis, prefix, 300) // its waiter never comes back
  t.equal(await s.unlock('a', end.token, { delete: true }), true)
  t.equal(await redis.hget(`${prefix}{a}`, 'fence'), queued, 'the fence stays while the line does')
  t.ok(await eventually(async () => await redis.exists(`${prefix}{a}`, `${prefix}{a}:queue`) === 0), 'both keys to lapse')
})

t.test('a ticket is never issued twice for a call: a key begun again counts on from the clock, and a holder of its last life can neither write nor release', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const redis = client(t)
  const s = store(t, prefix)
  // An event whose instance then stalled past its lease: the call had no record yet, so its key lapses with the lease.
  const stalled = await s.lock('a', { wait: 1000, lease: 200, onContention: () => {} })
  t.ok(await eventually(async () => await redis.exists(`${prefix}{a}`) === 0), 'the key lapses with the lease')
  // The call's next event, on another instance, begins the key again.
  const next = await store(t, prefix).lock('a', lockOptions)
  t.ok(Number(next.token) > Number(stalled.token), `the new key's ticket ${next.token} comes after the last one's ${stalled.token}`)
  t.equal(await s.unlock('a', stalled.token, { set: record, ttl: 60_000 }), false, 'the stalled holder writes nothing')
  t.equal(await s.get('a'), undefined)
  t.equal(await s.unlock('a', next.token), true, 'the lock is still the new holder\'s to release')
})
