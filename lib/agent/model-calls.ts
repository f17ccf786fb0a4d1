import type { AgentModel, ModelPart, ModelRequest } from './model'
import { messageOf } from '../error-message'

/** A model request as a recording keeps it: everything but its signal. */
export type RecordedRequest = Omit<ModelRequest, 'signal'>

/** One model call as a recording keeps it: what was asked, and what came back when. */
export interface ModelCallRecord {
  /** Unix time in ms at which the model was asked. */
  at: number
  request: RecordedRequest
  /** The parts in order, each with the ms since the request when it came. */
  parts: Array<{ ms: number, part: ModelPart }>
  /** The model failed with this message. */
  error?: string
  /** The call was stopped before the model had finished (the caller interrupted, the state was left). */
  aborted?: true
}

/**
 * Takes part in every model call of one call's agent states: to keep what
 * the model answers (a recording), or to answer in its place (a replay).
 * `ask` calls the model itself.
 */
export interface ModelCallHook {
  stream (request: ModelRequest, ask: () => AsyncIterable<ModelPart>): AsyncIterable<ModelPart>
}

/** The hook of each call's actor system (one per call, made by the session engine). */
const hooks = new WeakMap<object, ModelCallHook>()

/** Makes `hook` take part in every model call of the actor system's agent states. */
export function hookModelCalls (system: object, hook: ModelCallHook): void {
  hooks.set(system, hook)
}

/** Asks the model, through the hook of the call's actor system if it has one. */
export function streamModel (model: AgentModel, request: ModelRequest, system: object): AsyncIterable<ModelPart> {
  const hook = hooks.get(system)
  return hook === undefined ? model.stream(request) : hook.stream(request, () => model.stream(request))
}

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

/** The request as a recording keeps it: each part copied as JSON, one that cannot be left out. */
function recordable ({ instructions, messages, tools, options }: RecordedRequest): RecordedRequest {
  return { instructions, messages: jsonCopy(messages) ?? [], tools: jsonCopy(tools) ?? [], options: jsonCopy(options) }
}

/** A hook that asks the model and hands each call's record to `keep` once it has ended, however it ended. */
export function recordingHook (keep: (record: ModelCallRecord) => void, now: () => number = Date.now): ModelCallHook {
  return {
    async * stream (request, ask) {
      const { signal, ...asked } = request
      const start = now()
      const record: ModelCallRecord = { at: start, request: recordable(asked), parts: [] }
      try {
        for await (const part of ask()) {
          record.parts.push({ ms: now() - start, part })
          yield part
        }
      } catch (err) {
        if (!signal.aborted) record.error = messageOf(err)
        throw err
      } finally {
        // Stopped by its caller (a tool call ends the turn) or by the signal: kept as it stands.
        if (signal.aborted) record.aborted = true
        keep(record)
      }
    }
  }
}
