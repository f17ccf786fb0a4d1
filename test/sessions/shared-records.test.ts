import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { resolveOptions } from '../../lib/options'
import { RedisStore } from '../../lib/redis'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { chatFlow, Gates } from '../fixtures/chat-flow'
import { sharedRedis } from '../fixtures/redis-server'
import { event, eventually, keepAlive } from '../fixtures/helpers'

let url: string
t.before(async () => { url = await sharedRedis(t) })

type Teardown = { teardown: (fn: () => unknown) => void }

/** A logger that resolves `logged(msg)` once a line with that message is written. */
function watchingLogger (): Logger & { logged: (msg: string) => Promise<void> } {
  const seen = new Map<string, () => void>()
  const waits = new Map<string, Promise<void>>()
  const wait = (msg: string): Promise<void> => {
    const found = waits.get(msg) ?? new Promise<void>((resolve) => { seen.set(msg, resolve) })
    waits.set(msg, found)
    return found
  }
  const log = (_obj: object, msg?: string): void => {
    if (msg === undefined) return
    wait(msg).catch(() => {})
    seen.get(msg)?.()
  }
  const it = { child: () => it, debug: log, info: log, warn: log, error: log, logged: wait }
  return it
}

/** One instance of the app: its registry, on a Redis store of its own that shares `prefix`. */
function instance (t: Teardown, prefix: string, gates: Gates, log: Logger = watchingLogger(), store = new RedisStore({ url, prefix })): SessionRegistry {
  const sessions = new SessionRegistry({ ...resolveOptions({ flow: chatFlow(gates), store, replyTimeout: 300 }), log })
  t.teardown(() => sessions.close())
  return sessions
}

async function send (sessions: SessionRegistry, type: string, id: string, fields?: Record<string, unknown>): Promise<unknown[]> {
  return await sessions.dispatch(event(type, id, fields) as { type: string, session: { id: string } }, { log: watchingLogger() })
}

/** Whether some event holds the call's lock in Redis now. */
async function locked (t: Teardown, prefix: string, id: string): Promise<boolean> {
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  return await redis.hexists(`${prefix}{${id}}`, 'holder') === 1
}

const speak = (text: string, id: string): Record<string, unknown> => ({ type: 'speak', session_id: id, text })

t.test('a turn that drops a stale copy of its call saves nothing, and frees the lock at once', async (t) => {
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const log = watchingLogger()
  const a = instance(t, prefix, gates, log)
  const b = instance(t, prefix, gates)
  const id = randomUUID()
  await send(a, 'session_start', id)
  t.same(await send(b, 'user_speak', id, { text: 'one' }), [speak('You said one (turn 1)', id)], 'the call moves on elsewhere')
  // A turn without an event on the instance whose copy is now behind, as a due delay or a restart would give it.
  a.wake(id)
  await log.logged('the call moved on elsewhere; what this copy did since is dropped')
  await a.close()
  t.equal(await locked(t, prefix, id), false, 'the lock is free right after the turn')
  t.same(await send(b, 'user_speak', id, { text: 'two' }), [speak('You said two (turn 2)', id)], 'the call\'s next event is served within its 300 ms wait')
})

t.test('a turn that fails before its save frees the lock at once', async (t) => {
  keepAlive(t)
  const prefix = `test:${randomUUID()}:`
  const gates = new Gates()
  const a = instance(t, prefix, gates)
  class NoPresence extends RedisStore {
    override async present (): Promise<string[]> {
      throw new Error('Connection is closed.')
    }
  }
  const b = instance(t, prefix, gates, watchingLogger(), new NoPresence({ url, prefix }))
  const id = randomUUID()
  await send(a, 'session_start', id)
  // The record now has work that runs on a: b asks the store whether a lives, and that fails.
  t.same(await send(a, 'user_speak', id, { text: 'look up weather' }), [])
  await gates.started('weather')
  await t.rejects(send(b, 'user_speak', id, { text: 'one' }), { code: 'FST_AIFLOW_STORE_UNAVAILABLE' })
  t.equal(await locked(t, prefix, id), false, 'the lock is free right after the turn')
  t.same(await send(a, 'dtmf_received', id, { digit: '5' }), [speak('Digits: 5', id)], 'the call\'s next event is served within its 300 ms wait')
  // The lookup ends before the instances close.
  gates.open('weather')
  t.ok(await eventually(async () => (await a.get(id))?.pendingActions === 1), 'the lookup\'s answer waits for the next reply')
})
