import { TooManyCallsError } from '../errors'
import type { Session } from '../protocol'
import { Call } from './call'
import type { Logger } from './logger'

/**
 * The calls this instance holds, by id, in order of last activity (the
 * least recently active first): at most `maxSessions` at once, and those
 * idle for longer than `sessionTtl` up for expiry.
 */
export class HeldCalls {
  readonly #calls = new Map<string, Call>()
  readonly #max: number
  readonly #ttl: number

  constructor (maxSessions: number, sessionTtl: number) {
    this.#max = maxSessions
    this.#ttl = sessionTtl
  }

  get size (): number {
    return this.#calls.size
  }

  get (id: string): Call | undefined {
    return this.#calls.get(id)
  }

  /** The ids, the most recently active last. */
  ids (): string[] {
    return [...this.#calls.keys()]
  }

  /** Holds a call from now on; without its session, its record's stands in once loaded. */
  adopt (id: string, session: Session, settleLater: (call: Call) => void): Call {
    const call = new Call(id, session, Date.now(), settleLater)
    this.#calls.set(id, call)
    return call
  }

  /** The call was active: it goes last. */
  touched (call: Call): void {
    this.#calls.delete(call.id)
    this.#calls.set(call.id, call)
  }

  delete (call: Call): void {
    this.#calls.delete(call.id)
  }

  /** Lets go of every call, each ended. */
  endAll (): void {
    for (const call of this.#calls.values()) call.end()
    this.#calls.clear()
  }

  /** The calls idle for longer than `sessionTtl` at `now`, none with an event in flight. */
  * idle (now: number): Generator<Call> {
    // In order of last activity: the first fresh call ends the search.
    for (const call of this.#calls.values()) {
      if (call.lastEventAt + this.#ttl > now) return
      if (call.inFlight === 0) yield call
    }
  }

  /** Refuses a new call, logged, while `maxSessions` are held once `sweep` has expired the idle ones. */
  admit (log: Logger, sessionId: string, sweep: () => void): void {
    if (this.#calls.size < this.#max) return
    sweep()
    if (this.#calls.size < this.#max) return
    const err = new TooManyCallsError(this.#max)
    log.error({ err, sessionId, liveCalls: this.#calls.size }, 'live call limit reached: new calls are refused')
    throw err
  }
}
