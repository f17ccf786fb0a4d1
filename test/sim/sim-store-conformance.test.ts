import t from 'tap'
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { RedisStore } from '../../lib/redis'
import { LOCK } from '../../lib/stores/redis-scripts'
import type { LockChange, SessionRecord, SessionStore } from '../../lib/sessions'
import { sharedRedis } from '../fixtures/redis-server'
import { SimServer } from './fixtures/sim-store'

// Real time: each schedule sleeps past leases a few times.
t.setTimeout(240_000)

/*
 * The simulated store against the real one: the same operations, one after
 * another in real time, on a SimStore and on a RedisStore, must get the same
 * answers. A lock that is held is given up at once (no wait), and leases,
 * expiries and sleeps are hundreds of ms apart, so that the few ms an
 * operation takes never decide an answer.
 */

type Op =
  | { op: 'lock', call: number, lease: number }
  | { op: 'unlock', call: number, which: number, change: 'none' | 'set' | 'delete', due: 'none' | 'past' | 'future' }
  | { op: 'renew', call: number, which: number }
  | { op: 'check', call: number, which: number }
  | { op: 'get', call: number }
  | { op: 'set', call: number, ttl: number }
  | { op: 'delete', call: number }
  | { op: 'due' }
  | { op: 'announce', instance: number, ttl: number, lease: 'none' | 'past' | 'future', call: number, release: boolean }
  | { op: 'withdraw', instance: number, call: number }
  | { op: 'present' }
  | { op: 'sleep' }

const call = fc.nat({ max: 1 })
const ops: fc.Arbitrary<Op[]> = fc.array(fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('lock' as const), call, lease: fc.constantFrom(250, 250, 60_000) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('unlock' as const), call, which: fc.nat({ max: 3 }), change: fc.constantFrom('none' as const, 'set' as const, 'delete' as const), due: fc.constantFrom('none' as const, 'past' as const, 'future' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('renew' as const), call, which: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('check' as const), call, which: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), call }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), call, ttl: fc.constantFrom(250, 60_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), call }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('due' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('announce' as const), instance: fc.nat({ max: 2 }), ttl: fc.constantFrom(250, 60_000), lease: fc.constantFrom('none' as const, 'past' as const, 'future' as const), call, release: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('withdraw' as const), instance: fc.nat({ max: 2 }), call }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('present' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sleep' as const) }) }
), { minLength: 1, maxLength: 14, size: 'medium' })

const record = (mark: number): SessionRecord => ({ version: 'v', snapshot: { mark }, pending: [], session: { id: 'x' } as never, failed: false, revision: mark, startedAt: 0, updatedAt: 0 })

/**
 * A ticket as the order it was first seen in (`#1`, `#2`, …): a new key's
 * fence starts from its store's clock, which differs between the two.
 * One seen for the first time must be above every one seen before: a
 * ticket is never issued twice for a call, nor below an earlier one.
 */
function named (names: Map<string, string>, ticket: string, ordered = true): string {
  let name = names.get(ticket)
  if (name !== undefined) return name
  if (ordered && [...names.keys()].some((earlier) => Number(earlier) >= Number(ticket))) return `out of order: ${ticket} after ${[...names.keys()].join(', ')}`
  name = `#${names.size + 1}`
  names.set(ticket, name)
  return name
}

/** Runs the operations on `store`, as two instances (the lock options are the engine's), and says what each answered. */
async function play (store: SessionStore, prefix: string, schedule: readonly Op[]): Promise<string[]> {
  const answers: string[] = []
  const tokens: string[][] = [[], []]
  const ticketNames = [new Map<string, string>(), new Map<string, string>()]
  const id = (n: number): string => `${prefix}call-${n}`
  let mark = 0
  const say = async (what: () => Promise<unknown>): Promise<void> => {
    try {
      answers.push(JSON.stringify(await what()) ?? 'undefined')
    } catch (err) {
      answers.push(`error ${(err as { code?: string }).code ?? (err as Error).message}`)
    }
  }
  for (const step of schedule) {
    switch (step.op) {
      case 'lock':
        await say(async () => {
          const locked = await (store.lock as NonNullable<SessionStore['lock']>)(id(step.call), { wait: 0, lease: step.lease, onContention: () => {} })
          tokens[step.call].push(locked.token)
          return { token: named(ticketNames[step.call], locked.token), record: (locked.record?.snapshot as { mark?: number } | undefined)?.mark }
        })
        break
      case 'unlock': {
        const token = tokens[step.call][step.which % Math.max(1, tokens[step.call].length)] ?? 'none'
        const due = step.due === 'none' ? undefined : Date.now() + (step.due === 'past' ? -100_000 : 100_000)
        const change: LockChange | undefined = step.change === 'none' ? undefined : step.change === 'delete' ? { delete: true } : { set: record(++mark), ttl: 60_000, due }
        await say(async () => await (store.unlock as NonNullable<SessionStore['unlock']>)(id(step.call), token, change))
        break
      }
      case 'renew': {
        const token = tokens[step.call][step.which % Math.max(1, tokens[step.call].length)] ?? 'none'
        await say(async () => await (store.renew as NonNullable<SessionStore['renew']>)(id(step.call), token, 3000))
        break
      }
      case 'check': {
        const token = tokens[step.call][step.which % Math.max(1, tokens[step.call].length)] ?? '1'
        await say(async () => await (store.checkWrite as NonNullable<SessionStore['checkWrite']>)(id(step.call), token))
        break
      }
      case 'get':
        await say(async () => ((await store.get(id(step.call)))?.snapshot as { mark?: number } | undefined)?.mark)
        break
      case 'set':
        await say(async () => await store.set(id(step.call), record(++mark), step.ttl))
        break
      case 'delete':
        await say(async () => await store.delete(id(step.call)))
        break
      case 'due':
        await say(async () => (await (store.dueCalls as NonNullable<SessionStore['dueCalls']>)(Date.now(), 10)).filter((due) => due.startsWith(prefix)).sort())
        break
      case 'announce': {
        const leases = step.lease === 'none' ? undefined : { calls: [id(step.call)], until: Date.now() + (step.lease === 'past' ? -100_000 : 100_000), released: step.release ? [id(1 - step.call)] : [] }
        await say(async () => await (store.announce as NonNullable<SessionStore['announce']>)(`${prefix}i${step.instance}`, step.ttl, leases))
        break
      }
      case 'withdraw':
        await say(async () => await (store.withdraw as NonNullable<SessionStore['withdraw']>)(`${prefix}i${step.instance}`, [id(step.call)]))
        break
      case 'present':
        await say(async () => await (store.present as NonNullable<SessionStore['present']>)([0, 1, 2].map((n) => `${prefix}i${n}`)))
        break
      case 'sleep':
        await new Promise((resolve) => setTimeout(resolve, 600))
        answers.push('slept')
        break
    }
  }
  return answers
}

t.test('the simulated store answers as RedisStore does: locks with lease and line, fence, renew, saves checked, due index, announcements with work leases, withdrawals', async (t) => {
  const url = await sharedRedis(t)
  const redis = new RedisStore({ url, prefix: `test:${randomUUID()}:` })
  t.teardown(() => redis.close())
  let schedules = 0
  await fc.assert(fc.asyncProperty(ops, async (schedule) => {
    schedules++
    const prefix = `${schedules}-`
    const server = new SimServer(Date.now)
    const sim = server.client('conformance', undefined)
    // The same schedule on both at once: each waits out its own sleeps.
    const [real, simulated] = await Promise.all([play(redis, prefix, schedule), play(sim, prefix, schedule)])
    if (JSON.stringify(real) !== JSON.stringify(simulated)) {
      throw new Error(`different answers to\n${schedule.map((step, i) => `${i + 1}. ${JSON.stringify(step)} -> redis ${real[i]}, sim ${simulated[i]}`).join('\n')}`)
    }
  }), { numRuns: 40, seed: 19, endOnFailure: true })
  t.pass(`${schedules} schedules answered alike`)
})

type Take = (given: string) => Promise<unknown[]>

/** A lock held, a ticket in line behind it, then the call deleted: the fence stays until the line lapses, on both; the lapsed ticket is then refused. */
async function deleteWithLine (store: SessionStore, take: Take): Promise<string[]> {
  const answers: string[] = []
  const say = async (what: () => Promise<unknown>): Promise<void> => {
    try {
      answers.push(JSON.stringify(await what()) ?? 'undefined')
    } catch (err) {
      answers.push(`error ${(err as { code?: string }).code ?? (err as Error).message}`)
    }
  }
  const lock = (store.lock as NonNullable<SessionStore['lock']>).bind(store)
  const unlock = (store.unlock as NonNullable<SessionStore['unlock']>).bind(store)
  const options = { wait: 0, lease: 60_000, onContention: () => {} }
  for (const round of [1, 2]) {
    let held = 'none'
    await say(async () => { held = (await lock('d', options)).token; return held })
    const [queued] = await take('') as [string]
    await say(async () => await unlock('d', held, { delete: true }))
    await say(async () => await store.get('d'))
    if (round === 1) {
      await say(async () => (await lock('d', options)).token) // busy: behind the ticket in line, which it leaves
      await say(async () => await store.get('d')) // after the line is left, on the same connection
      await say(async () => (await take(queued)).slice(0, 2))
      await say(async () => await unlock('d', queued))
      await say(async () => (await lock('d', options)).token)
      await say(async () => await unlock('d', answers[answers.length - 1].replaceAll('"', ''), { delete: true }))
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1300)) // past the line's keep (1000 ms)
      await say(async () => (await lock('d', options)).token) // the fence lapsed with the line
      await say(async () => await take(queued)) // a ticket out of line never takes the lock
    }
  }
  return answers
}

t.test('a delete with tickets in line keeps the fence until the line lapses, and a lapsed ticket is refused, in the simulated store as in RedisStore', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const redis = new RedisStore({ url, prefix })
  const raw = new Redis(url)
  raw.defineCommand('aiflowLock', { numberOfKeys: 2, lua: LOCK })
  t.teardown(async () => { await redis.close(); await raw.quit() })
  const rawLock = raw as Redis & { aiflowLock: (...args: unknown[]) => Promise<unknown[]> }
  const server = new SimServer(Date.now)
  const sim = server.client('conformance', undefined)
  const [real, simulated] = await Promise.all([
    deleteWithLine(redis, async (given) => await rawLock.aiflowLock(`${prefix}{d}`, `${prefix}{d}:queue`, given, 60_000, 1000, `${prefix}locks`, 'd')),
    deleteWithLine(sim, async (given) => server.lock('d', given, 60_000, undefined, sim))
  ])
  // The ticket put in line in the second round is first seen as it is refused, after the later ones.
  const names = (answers: string[]): string[] => {
    const seen = new Map<string, string>()
    return answers.map((answer, i) => answer.replace(/\d{13,}/g, (ticket) => named(seen, ticket, i < answers.length - 1)))
  }
  t.same(names(simulated), names(real))
  t.same(names(real), [
    '"#1"', 'true', 'undefined', 'error FST_AIFLOW_CALL_BUSY', 'undefined', '["#2",0]', 'true', '"#3"', 'true', // tickets go on from the fence after the delete
    '"#4"', 'true', 'undefined', '"#5"', // with nobody left in line, the fence is gone: the next key's tickets start from the clock, after all of the last's
    '["#6",-2]' // and the ticket that lapsed with it is refused
  ])
})
