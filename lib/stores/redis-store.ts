import { Redis, type RedisOptions } from 'ioredis'
import { CallBusyError, InvalidOptionError } from '../errors'
import { LOCK, RENEW, UNLOCK, CHECK_WRITE } from './redis-scripts'
import { LockSignals, type LockWait } from './redis-signals'
import { RedisLiveBoard } from './redis-live'
import type { LiveBoard, LockChange, LockedRecord, LockOptions, SessionRecord, SessionStore, WorkLeases } from './store'

/** How often an event waiting for a lock tries again when it heard no release, in ms. */
const RETRY = 100
/** How long a waiting event keeps its place in line without trying again, in ms. */
const KEEP = 1000

const noop = (): void => {}

export interface RedisStoreOptions {
  /** Where Redis is: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string
  /** Put before every key and the lock channel, so that several apps can share one Redis. Default `'aiflow:'`. */
  prefix?: string
  /** A command unanswered for this long fails, and its event gets 503, in ms. Default 1000. */
  commandTimeout?: number
  /**
   * Further ioredis options (`tls`, `username`, `retryStrategy`...). The store
   * sets `enableOfflineQueue: false`, `maxRetriesPerRequest: 0` and
   * `autoResendUnfulfilledCommands: false` itself: while Redis is away a
   * command fails at once, and none is ever sent twice.
   */
  redis?: RedisOptions
}

interface Scripts {
  aiflowLock (data: string, queue: string, ticket: string, lease: number, keep: number, channel: string, id: string): Promise<[string, number, string?]>
  aiflowUnlock (data: string, queue: string, due: string, ticket: string, mode: string, record: string, ttl: number, channel: string, id: string, dueAt: string): Promise<number>
  aiflowRenew (data: string, ticket: string, lease: number): Promise<number>
  aiflowCheckWrite (data: string, queue: string, ticket: string, channel: string, id: string): Promise<number>
}

/** Records come from outside the process: text that is not JSON goes on as is, for the registry to refuse. */
function parse (text: string | null | undefined): SessionRecord | undefined {
  if (text === null || text === undefined) return undefined
  try {
    return JSON.parse(text) as SessionRecord
  } catch {
    return text as never
  }
}

/** A transaction resolves even when a command in it failed: each result carries its own error. Returns the results. */
function checked (results: Array<[Error | null, unknown]> | null): unknown[] {
  const failed = results?.find(([err]) => err !== null)?.[0]
  if (failed instanceof Error) throw failed
  return (results as Array<[null, unknown]>).map(([, result]) => result)
}

function checkOptions ({ url, prefix, commandTimeout }: RedisStoreOptions): void {
  const wrong = (name: string, given: unknown, allowed: string): never => {
    throw new InvalidOptionError(`RedisStore ${name} must be ${allowed}, got ${JSON.stringify(given)}`)
  }
  if (url !== undefined && typeof url !== 'string') wrong('url', url, 'a string')
  if (prefix !== undefined && typeof prefix !== 'string') wrong('prefix', prefix, 'a string')
  if (commandTimeout !== undefined && (!Number.isSafeInteger(commandTimeout) || commandTimeout <= 0)) {
    wrong('commandTimeout', commandTimeout, 'a positive integer')
  }
}

/**
 * Keeps calls in Redis, so that several instances can serve the events of
 * one call. Each event takes the call's lock and its record in one round
 * trip, and saves and releases them in one more. Events of one call wait
 * for each other in the order they reached Redis; a lock whose holder died
 * frees itself after its lease.
 *
 * @example
 * app.register(fastifyAiFlow, { flow, store: new RedisStore({ url: process.env.REDIS_URL }) })
 */
export class RedisStore implements SessionStore {
  readonly #redis: Redis & Scripts
  /**
   * Announcements go on a connection of their own: behind a slow command
   * of a call they would come late, and a live instance would lapse.
   */
  readonly #beat: Redis
  readonly #prefix: string
  readonly #channel: string
  /** The calls with a delay pending, scored by when the first is due. */
  readonly #dueKey: string
  /** The calls whose work an instance runs, scored by when its lease runs out. */
  readonly #workKey: string
  readonly #commandTimeout: number
  readonly #signals: LockSignals
  #board: RedisLiveBoard | undefined
  #connected = false
  #firstConnection: Promise<void> | undefined

  constructor (options: RedisStoreOptions = {}) {
    checkOptions(options)
    const { url = 'redis://127.0.0.1:6379', prefix = 'aiflow:', commandTimeout = 1000, redis } = options
    this.#prefix = prefix
    this.#channel = `${prefix}locks`
    this.#dueKey = `${prefix}due`
    this.#workKey = `${prefix}work`
    this.#commandTimeout = commandTimeout
    const client = new Redis(url, {
      ...redis,
      commandTimeout,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false
    })
    client.defineCommand('aiflowLock', { numberOfKeys: 2, lua: LOCK })
    client.defineCommand('aiflowUnlock', { numberOfKeys: 3, lua: UNLOCK })
    client.defineCommand('aiflowRenew', { numberOfKeys: 1, lua: RENEW })
    client.defineCommand('aiflowCheckWrite', { numberOfKeys: 2, lua: CHECK_WRITE })
    client.on('error', noop) // every command that fails meanwhile says why, and its event's 503 is logged
    client.once('ready', () => { this.#connected = true })
    this.#redis = client as Redis & Scripts
    // Its commands wait for its first connection (each at most commandTimeout), as the store's wait in #ready.
    this.#beat = client.duplicate({ enableOfflineQueue: true })
    this.#beat.on('error', noop)
    this.#signals = new LockSignals(client, this.#channel)
  }

  async get (id: string): Promise<SessionRecord | undefined> {
    await this.#ready()
    return parse(await this.#redis.hget(this.#key(id), 'record'))
  }

  async set (id: string, record: SessionRecord, ttl: number): Promise<void> {
    await this.#ready()
    const key = this.#key(id)
    checked(await this.#redis.multi().hset(key, 'record', JSON.stringify(record)).pexpire(key, ttl).exec())
  }

  async delete (id: string): Promise<void> {
    await this.#ready()
    await this.#redis.multi().del(this.#key(id), this.#queue(id)).zrem(this.#dueKey, id).exec()
  }

  async lock (id: string, options: LockOptions): Promise<LockedRecord> {
    const waiting = this.#signals.wait(id)
    this.#signals.watch(id, options.onContention)
    let locked: LockedRecord
    try {
      locked = await this.#take(id, options, waiting)
    } catch (err) {
      this.#signals.unwatch(id)
      throw err
    } finally {
      waiting.done()
    }
    return locked
  }

  async unlock (id: string, token: string, change?: LockChange): Promise<boolean> {
    this.#signals.unwatch(id)
    await this.#ready()
    const [mode, record, ttl, due] = change === undefined
      ? ['keep', '', 0, '']
      : 'set' in change ? ['set', JSON.stringify(change.set), change.ttl, change.due === undefined ? '' : String(change.due)] : ['delete', '', 0, '']
    return await this.#redis.aiflowUnlock(this.#key(id), this.#queue(id), this.#dueKey, token, mode, record, ttl, this.#channel, id, due) === 1
  }

  async renew (id: string, token: string, lease: number): Promise<boolean> {
    await this.#ready()
    return await this.#redis.aiflowRenew(this.#key(id), token, lease) === 1
  }

  async checkWrite (id: string, token: string): Promise<boolean | undefined> {
    await this.#ready()
    const done = await this.#redis.aiflowCheckWrite(this.#key(id), this.#queue(id), token, this.#channel, id)
    return done === -1 ? undefined : done === 1
  }

  async announce (instance: string, ttl: number, leases?: WorkLeases): Promise<void> {
    await this.#ready()
    if (leases === undefined || (leases.calls.length === 0 && leases.released.length === 0)) {
      await this.#beat.set(this.#instance(instance), '1', 'PX', ttl)
      return
    }
    const transaction = this.#beat.multi().set(this.#instance(instance), '1', 'PX', ttl)
    if (leases.calls.length > 0) transaction.zadd(this.#workKey, ...leases.calls.flatMap((id) => [leases.until, id]))
    if (leases.released.length > 0) transaction.zrem(this.#workKey, ...leases.released)
    checked(await transaction.exec())
  }

  async withdraw (instance: string, calls: readonly string[]): Promise<void> {
    await this.#ready()
    const transaction = this.#beat.multi().del(this.#instance(instance))
    if (calls.length > 0) transaction.zadd(this.#workKey, ...calls.flatMap((id) => [0, id]))
    checked(await transaction.exec())
  }

  async present (instances: string[]): Promise<string[]> {
    await this.#ready()
    const found = await this.#redis.mget(instances.map((instance) => this.#instance(instance)))
    return instances.filter((_, i) => found[i] !== null)
  }

  async dueCalls (until: number, limit: number): Promise<string[]> {
    await this.#ready()
    const [due, lapsed] = checked(await this.#redis.multi()
      .zrangebyscore(this.#dueKey, '-inf', until, 'LIMIT', 0, limit)
      .zrangebyscore(this.#workKey, '-inf', until, 'LIMIT', 0, limit)
      .exec()) as [string[], string[]]
    if (lapsed.length === 0) return due
    // A lease that ran out is taken by one instance: the one whose ZREM removed it looks at its call.
    const transaction = this.#redis.multi()
    for (const id of lapsed) transaction.zrem(this.#workKey, id)
    const removed = checked(await transaction.exec()) as number[]
    return [...new Set([...due, ...lapsed.filter((_, i) => removed[i] === 1)])]
  }

  onEnded (listener: (id: string) => void): () => void {
    return this.#signals.onEnded(listener)
  }

  /** Made when first asked for, by an instance with a live view: no more keys or connections without one. */
  liveBoard (): LiveBoard {
    this.#board ??= new RedisLiveBoard(this.#redis, this.#prefix, async () => { await this.#ready() })
    return this.#board
  }

  async close (): Promise<void> {
    this.#signals.close()
    this.#board?.close()
    await Promise.all([this.#redis, this.#beat].map(async (redis) => { await redis.quit().catch(() => redis.disconnect()) }))
  }

  /** Takes a ticket, then tries again on every release heard (or every little while) until it is the ticket's turn. */
  async #take (id: string, { wait, lease, onContention }: LockOptions, waiting: LockWait): Promise<LockedRecord> {
    const deadline = Date.now() + wait
    await this.#ready()
    let ticket = ''
    for (;;) {
      waiting.reset()
      const [issued, behind, record] = await this.#redis.aiflowLock(this.#key(id), this.#queue(id), ticket, lease, KEEP, this.#channel, id)
      ticket = issued
      // Out of line (its waiter came back too late): later tickets may have gone ahead, so this one never goes.
      if (behind === -2) throw new CallBusyError(wait)
      if (behind >= 0) {
        if (behind === 1) onContention()
        return { token: ticket, record: parse(record) }
      }
      const left = deadline - Date.now()
      if (left <= 0) {
        this.#redis.hdel(this.#queue(id), ticket).catch(noop) // a ticket left behind would hold up the line until it lapses
        throw new CallBusyError(wait)
      }
      await waiting.sleep(Math.min(left, RETRY))
    }
  }

  #key (id: string): string {
    return `${this.#prefix}{${id}}`
  }

  #instance (instance: string): string {
    return `${this.#prefix}instance:${instance}`
  }

  #queue (id: string): string {
    return `${this.#prefix}{${id}}:queue`
  }

  /**
   * Before the first connection, waits for it up to `commandTimeout`. After
   * that, a lost connection fails every command at once, until it is back.
   */
  async #ready (): Promise<void> {
    if (this.#connected) return
    // One wait shared by every command that comes before the first connection,
    // so that a burst of first events adds three listeners, not three each.
    this.#firstConnection ??= this.#waitForConnection().finally(() => { this.#firstConnection = undefined })
    return await this.#firstConnection
  }

  #waitForConnection (): Promise<void> {
    const redis = this.#redis
    return new Promise<void>((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer)
        redis.off('ready', ready).off('error', fail).off('end', fail)
      }
      const ready = (): void => {
        stop()
        resolve()
      }
      const fail = (): void => {
        stop()
        reject(new Error(`Redis is not connected (${redis.status})`))
      }
      const timer = setTimeout(fail, this.#commandTimeout).unref()
      // Given up for good (its retryStrategy said so, or the store was closed): no use waiting.
      if (redis.status === 'end') return fail()
      redis.once('ready', ready).once('error', fail).once('end', fail)
    })
  }
}
