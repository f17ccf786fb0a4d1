import type { AgentMessage, ModelRequest } from './model'

/** A model request as a recording keeps it: everything but its signal. */
export type RecordedRequest = Omit<ModelRequest, 'signal'>

/**
 * A recorded request whose messages begin with the previous request's:
 * `count` of them from its `from`-th, then `messages`, the new ones. A call
 * sends its whole conversation on every request; its recording holds each
 * message once.
 */
export type RecordedDelta = RecordedRequest & { kept?: { from: number, count: number } }

/**
 * A copy of a value as JSON carries it, or undefined when JSON cannot
 * (a BigInt, a cycle). Options may hold what JSON cannot (a function, a
 * client): a recording keeps what it can and leaves the rest out, because
 * recording must never change what the call does.
 */
export function jsonCopy<T> (value: T): T | undefined {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value)) as T
  } catch {
    return undefined
  }
}

/**
 * Keeps the requests of one call as a recording holds them: each copied as
 * JSON (a part that cannot be is left out), its messages after the longest
 * run it shares with the previous request's.
 */
export class RequestRecorder {
  #previous: string[] = []

  record ({ instructions, messages, tools, options }: RecordedRequest): RecordedDelta {
    const copied = jsonCopy(messages) ?? []
    const lines = copied.map((message) => JSON.stringify(message))
    const from = lines.length === 0 ? -1 : this.#previous.indexOf(lines[0])
    let count = 0
    if (from >= 0) while (count < lines.length && this.#previous[from + count] === lines[count]) count++
    this.#previous = lines
    const request: RecordedDelta = { instructions, messages: copied.slice(count), tools: jsonCopy(tools) ?? [], options: jsonCopy(options) }
    if (count > 0) request.kept = { from, count }
    return request
  }
}

/** The whole requests of one call's recorded model calls, in the order they were made. */
export function wholeRequests (recorded: readonly RecordedDelta[]): RecordedRequest[] {
  let previous: readonly AgentMessage[] = []
  return recorded.map(({ kept, ...request }) => {
    const messages = kept === undefined ? request.messages : [...previous.slice(kept.from, kept.from + kept.count), ...request.messages]
    previous = messages
    return { ...request, messages }
  })
}
