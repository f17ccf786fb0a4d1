import { createHash } from 'node:crypto'
import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { CallTurn, Logger } from '../sessions'
import { InvalidOptionError } from '../errors'
import { modelLine, recordLine, toolLine, type RecordedOptions } from './format'
import { maskNumbersIn } from './redact'
import { recordingHook, type ModelCallHook } from '../agent/model-calls'

/** What a Node stream has to be told about its errors. */
interface Emitter {
  on (event: 'error', listener: (err: Error) => void): unknown
  off (event: 'error', listener: (err: Error) => void): unknown
}

/** Where recordings go: one file per call in a directory, or every call into one stream. */
export type RecordOptions = ({ dir: string } | { stream: { write (chunk: string): unknown } }) & {
  /** Mask the phone numbers of sessions, transfers and SMS. Default true. */
  redactPhoneNumbers?: boolean
}

/** Session ids named as they are: nothing that leads out of the directory, nothing a case-insensitive file system folds. */
const PLAIN_ID = /^[a-z0-9_-]{1,128}$/

/**
 * The file of a call: `<session id>.jsonl` for a plain id (a UUID, say).
 * Any other id (a dot, a slash, a colon, an upper-case letter, over 128
 * characters) is written readable, with the rest replaced, and a hash of
 * the whole id after a `~` that no plain id has: `a.b`, `a_b` and `a:b` are
 * three files, not one, and so are `Ab` and `aB` where a file system folds
 * case.
 */
export function recordingFile (dir: string, sessionId: string): string {
  if (PLAIN_ID.test(sessionId)) return path.join(dir, `${sessionId}.jsonl`)
  const readable = sessionId.replace(/[^\w-]/g, '_').slice(0, 100)
  const hash = createHash('sha256').update(sessionId).digest('hex').slice(0, 16)
  return path.join(dir, `${readable}~${hash}.jsonl`)
}

/**
 * Writes every turn of every call as a JSON line. A directory gets one
 * file per call, appended to in the call's order; a stream gets every
 * line, calls interleaved, and is left open on close. A write that fails
 * (a file that cannot be written, a stream that throws or emits `error`) is
 * logged and never touches the reply.
 */
export class Recorder {
  readonly #options: RecordOptions
  /** Kept on every turn's line, for a replay to serve the call as it was served. */
  readonly #served: RecordedOptions | undefined
  readonly #log: Logger
  readonly #writes = new Map<string, Promise<void>>()

  /** A stream's `error` event, which would end the process with no listener. */
  readonly #streamFailed = (err: Error): void => { this.#log.warn({ err }, 'writing the call recording failed') }

  private constructor (options: RecordOptions, log: Logger, served: RecordedOptions | undefined) {
    this.#options = options
    this.#served = served
    this.#log = log
    if ('stream' in options) (options.stream as Partial<Emitter>).on?.('error', this.#streamFailed)
  }

  /** A recorder, with its directory created; `served`, the plugin options a replay of its lines depends on. */
  static async open (options: RecordOptions, log: Logger, served?: RecordedOptions): Promise<Recorder> {
    if ('dir' in options) {
      await mkdir(options.dir, { recursive: true }).catch((err: Error) => {
        throw new InvalidOptionError(`record.dir ${JSON.stringify(options.dir)} cannot be made: ${err.message}`)
      })
    }
    return new Recorder(options, log, served)
  }

  /** Takes one turn; hand it to the registry's `observe` option. */
  readonly observe = (turn: CallTurn): void => {
    this.#write(turn.event.session.id, recordLine(turn, this.#options.redactPhoneNumbers !== false, this.#served))
  }

  /**
   * Keeps what each model call of the call's agent states returned, and
   * what each of their function tools did; hand it to the registry's
   * `modelCalls` option. Each is masked with the session of the event
   * that asked, or else the call's `session`: a model asked again after a
   * round of tools, and a tool, run in no event of the caller's.
   */
  readonly modelCalls = (sessionId: string, session?: Readonly<Record<string, unknown>>): ModelCallHook => recordingHook((record, asked) => {
    this.#write(sessionId, modelLine(sessionId, this.#masked(record, asked ?? session)))
  }, Date.now, (record) => {
    this.#write(sessionId, toolLine(sessionId, this.#masked(record, session)))
  })

  #masked<T> (record: T, session: Readonly<Record<string, unknown>> | undefined): T {
    return this.#options.redactPhoneNumbers === false ? record : maskNumbersIn(record, session)
  }

  #write (sessionId: string, line: string): void {
    if ('stream' in this.#options) {
      try {
        this.#options.stream.write(line)
      } catch (err) {
        this.#log.warn({ err, sessionId }, 'writing the call recording failed')
      }
      return
    }
    const file = recordingFile(this.#options.dir, sessionId)
    const previous = this.#writes.get(file) ?? Promise.resolve()
    const write = previous.then(() => appendFile(file, line)).catch((err) => {
      this.#log.warn({ err, sessionId }, 'writing the call recording failed')
    })
    this.#writes.set(file, write)
    // Keeps the map to the calls with a write under way.
    write.finally(() => { if (this.#writes.get(file) === write) this.#writes.delete(file) })
  }

  /** Waits for every write under way; a stream is left to whoever gave it. */
  async close (): Promise<void> {
    if ('stream' in this.#options) (this.#options.stream as Partial<Emitter>).off?.('error', this.#streamFailed)
    await Promise.all(this.#writes.values())
  }
}
