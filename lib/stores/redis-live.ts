import type { Redis } from 'ioredis'
import type { LiveBoard, LiveChange } from './store'

/** Transcript lines kept per call: the latest. */
export const LIVE_LINES = 300
/** Calls the board lists: the most recently changed. */
export const LIVE_CALLS = 10_000

const noop = (): void => {}

/*
 * KEYS: the call's view, its lines, the board's index of calls.
 * ARGV: id, view ('' for none), revision, ttl, now, channel, message, lines kept, calls kept, then order and text of each line.
 * A view older than the one kept is neither kept nor published; the lines are kept all the same.
 * The index scores each call by when it expires, so that the calls it lists are the most recently changed.
 */
export const LIVE_PUT = `
local ttl = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if #ARGV > 9 then
  for i = 10, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1]) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[8]) - 1)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if ARGV[2] ~= '' then
  local kept = redis.call('HGET', KEYS[1], 'revision')
  if kept and tonumber(kept) > tonumber(ARGV[3]) then return 0 end
  redis.call('HSET', KEYS[1], 'view', ARGV[2], 'revision', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[9]) - 1)
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`

interface LiveScripts {
  aiflowLivePut (view: string, lines: string, index: string, ...args: Array<string | number>): Promise<number>
}

/**
 * The live views' board in Redis: per call a hash (`<prefix>live:{<id>}`:
 * its view and revision) and a sorted set of transcript lines
 * (`…:lines`), both expiring with the call; an index of calls by when each
 * expires (`<prefix>live`), pruned of expired calls at every change; and
 * a channel (`<prefix>live`) on a connection of its own, opened by the
 * first `listen`.
 */
export class RedisLiveBoard implements LiveBoard {
  readonly #redis: Redis & LiveScripts
  readonly #prefix: string
  readonly #index: string
  readonly #ready: () => Promise<void>
  readonly #listeners = new Set<(message: string) => void>()
  #subscriber: Redis | undefined

  constructor (redis: Redis, prefix: string, ready: () => Promise<void>) {
    redis.defineCommand('aiflowLivePut', { numberOfKeys: 3, lua: LIVE_PUT })
    this.#redis = redis as Redis & LiveScripts
    this.#prefix = prefix
    this.#index = `${prefix}live`
    this.#ready = ready
  }

  async put (id: string, { view, lines = [] }: LiveChange, ttl: number, message: string): Promise<void> {
    await this.#ready()
    const ordered = lines.flatMap((line) => [line.order, `${line.order}:${line.text}`])
    await this.#redis.aiflowLivePut(this.#key(id), this.#lines(id), this.#index, id, view?.text ?? '', view?.revision ?? 0,
      ttl, Date.now(), this.#index, message, LIVE_LINES, LIVE_CALLS, ...ordered)
  }

  async end (id: string, message: string): Promise<void> {
    await this.#ready()
    await this.#redis.multi().del(this.#key(id), this.#lines(id)).zrem(this.#index, id).publish(this.#index, message).exec()
  }

  async views (limit: number): Promise<string[]> {
    await this.#ready()
    const ids = await this.#redis.zrevrange(this.#index, 0, limit - 1)
    if (ids.length === 0) return []
    const views = await Promise.all(ids.map(async (id) => await this.#redis.hget(this.#key(id), 'view')))
    return views.filter((view) => view !== null)
  }

  async lines (id: string): Promise<string[]> {
    await this.#ready()
    const lines = await this.#redis.zrange(this.#lines(id), '0', '-1')
    return lines.map((line) => line.slice(line.indexOf(':') + 1))
  }

  listen (listener: (message: string) => void): () => void {
    this.#listeners.add(listener)
    this.#subscriber ??= this.#subscribe()
    return () => { this.#listeners.delete(listener) }
  }

  close (): void {
    this.#listeners.clear()
    this.#subscriber?.disconnect()
  }

  /** As the lock signals: a connection that waits for Redis however long, and subscribes again on each connection. */
  #subscribe (): Redis {
    const subscriber = this.#redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, autoResubscribe: false })
    subscriber.on('error', noop)
    subscriber.on('message', (_channel: string, message: string) => { for (const listener of this.#listeners) listener(message) })
    subscriber.on('ready', () => { subscriber.subscribe(this.#index).catch(noop) })
    return subscriber
  }

  #key (id: string): string {
    return `${this.#prefix}live:{${id}}`
  }

  #lines (id: string): string {
    return `${this.#prefix}live:{${id}}:lines`
  }
}
