import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { CallTurn, Logger } from '../sessions'
import { InvalidOptionError } from '../errors'
import { modelLine, recordLine } from './format'
import { maskNumbersIn } from './redact'
import { recordingHook, type ModelCallHook } from '../agent/model-calls'

/** Where recordings go: one file per call in a directory, or every call into one stream. */
export type RecordOptions = ({ dir: string } | { stream: { write (chunk: string): unknown } }) & {
  /** Mask the phone numbers of sessions, transfers and SMS. Default true. */
  redactPhoneNumbers?: boolean
}

/** The file of a call: its session id, with anything that could leave the directory replaced. */
export function recordingFile (dir: string, sessionId: string): string {
  return path.join(dir, `${sessionId.replace(/[^\w-]/g, '_').slice(0, 128)}.jsonl`)
}

/**
 * Writes every turn of every call as a JSON line. A directory gets one
 * `<session id>.jsonl` per call, appended to in the call's order; a stream
 * gets every line, calls interleaved, and is left open on close. A write
 * that fails is logged and never touches the reply.
 */
export class Recorder {
  readonly #options: RecordOptions
  readonly #log: Logger
  readonly #writes = new Map<string, Promise<void>>()

  private constructor (options: RecordOptions, log: Logger) {
    this.#options = options
    this.#log = log
  }

  /** A recorder, with its directory created. */
  static async open (options: RecordOptions, log: Logger): Promise<Recorder> {
    if ('dir' in options) {
      await mkdir(options.dir, { recursive: true }).catch((err: Error) => {
        throw new InvalidOptionError(`record.dir ${JSON.stringify(options.dir)} cannot be made: ${err.message}`)
      })
    }
    return new Recorder(options, log)
  }

  /** Takes one turn; hand it to the registry's `observe` option. */
  readonly observe = (turn: CallTurn): void => {
    this.#write(turn.event.session.id, recordLine(turn, this.#options.redactPhoneNumbers !== false))
  }

  /** Keeps what each model call of the call's agent states returned; hand it to the registry's `modelCalls` option. */
  readonly modelCalls = (sessionId: string): ModelCallHook => recordingHook((record, session) => {
    this.#write(sessionId, modelLine(sessionId, this.#options.redactPhoneNumbers === false ? record : maskNumbersIn(record, session)))
  })

  #write (sessionId: string, line: string): void {
    if ('stream' in this.#options) {
      this.#options.stream.write(line)
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

  /** Waits for every write under way. */
  async close (): Promise<void> {
    await Promise.all(this.#writes.values())
  }
}
