import type { Redis } from 'ioredis'

const noop = (): void => {}

/** One event's wait for a call's lock: woken when the lock is freed, or after a while. */
export class LockWait {
  #woken = false
  #wake = noop
  readonly #done: () => void

  constructor (done: () => void) {
    this.#done = done
  }

  /** Forgets earlier wake-ups: called before each try. */
  reset (): void {
    this.#woken = false
  }

  wake (): void {
    this.#woken = true
    this.#wake()
  }

  /** Resolves when woken (at once, if woken since the last try) or after `ms`. */
  async sleep (ms: number): Promise<void> {
    if (this.#woken) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms).unref()
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#wake = noop
  }

  /** Stops listening for wake-ups. */
  done (): void {
    this.#done()
  }
}

/**
 * What instances tell each other about a call's lock, on one channel:
 * `queued:<id>` when an event lines up behind the lock (its holder should
 * not wait for more work), `released:<id>` when the lock is freed while
 * events wait (they try again at once), `ended:<id>` when a call's record
 * was deleted (every instance holding the call lets go of it). A lost
 * message costs time, never order: waiting events also try again every
 * little while, and a call ended elsewhere is found gone at its next turn.
 */
export class LockSignals {
  readonly #subscriber: Redis
  readonly #watchers = new Map<string, { notify: () => void, count: number }>()
  readonly #waits = new Map<string, Set<LockWait>>()
  readonly #ended = new Set<(id: string) => void>()

  constructor (redis: Redis, channel: string) {
    // Its own connection, which waits for Redis however long it takes: subscribing is all it does.
    // It subscribes again itself on every connection: ioredis's own resubscription leaves
    // its promise unhandled, and a connection lost before the answer would reject it.
    this.#subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, autoResubscribe: false })
    this.#subscriber.on('error', noop) // the store's connection reports the same failures with every command
    this.#subscriber.on('message', (_channel: string, message: string) => this.#receive(message))
    this.#subscriber.on('ready', () => { this.#subscriber.subscribe(channel).catch(noop) })
  }

  /** Calls `notify` whenever an event of the call lines up, until as many `unwatch` as `watch`. */
  watch (id: string, notify: () => void): void {
    const watcher = this.#watchers.get(id)
    if (watcher === undefined) {
      this.#watchers.set(id, { notify, count: 1 })
      return
    }
    watcher.notify = notify
    watcher.count++
  }

  unwatch (id: string): void {
    const watcher = this.#watchers.get(id)
    if (watcher !== undefined && --watcher.count === 0) this.#watchers.delete(id)
  }

  /** A wait on the call's lock, woken by its release anywhere. */
  wait (id: string): LockWait {
    const waits = this.#waits.get(id) ?? new Set()
    this.#waits.set(id, waits)
    const wait: LockWait = new LockWait(() => {
      waits.delete(wait)
      if (waits.size === 0) this.#waits.delete(id)
    })
    waits.add(wait)
    return wait
  }

  /** Calls `listener` with the id of every call ended anywhere; returns what stops it. */
  onEnded (listener: (id: string) => void): () => void {
    this.#ended.add(listener)
    return () => { this.#ended.delete(listener) }
  }

  close (): void {
    this.#ended.clear()
    this.#subscriber.disconnect()
  }

  #receive (message: string): void {
    const colon = message.indexOf(':')
    const id = message.slice(colon + 1)
    if (message.startsWith('queued:')) this.#watchers.get(id)?.notify()
    else if (message.startsWith('ended:')) for (const listener of this.#ended) listener(id)
    else for (const wait of this.#waits.get(id) ?? []) wait.wake()
  }
}
