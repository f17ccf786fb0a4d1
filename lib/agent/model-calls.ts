import type { AgentModel, ModelPart, ModelRequest } from './model'
import { messageOf } from '../error-message'
import { RequestRecorder, type RecordedDelta } from './recorded-requests'
import { agentTurnsOf, type AgentTurnObserver } from './turn-observer'

export type { RecordedRequest } from './recorded-requests'

/** One model call as a recording keeps it: what was asked, and what came back when. */
export interface ModelCallRecord {
  /** Unix time in ms at which the model was asked. */
  at: number
  /** Its place among the call's model calls on the instance that made it, from 1: orders those asked in the same ms. */
  n?: number
  /** What was asked; its messages only those new since the call's previous request, when `kept` says so. */
  request: RecordedDelta
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
  /** `session` is the call's, as the event that asked had it: a recording masks its phone numbers. */
  stream (request: ModelRequest, ask: () => AsyncIterable<ModelPart>, session?: Readonly<Record<string, unknown>>): AsyncIterable<ModelPart>
}

/** The hook of each call's actor system (one per call, made by the session engine). */
const hooks = new WeakMap<object, ModelCallHook>()

/** Makes `hook` take part in every model call of the actor system's agent states. */
export function hookModelCalls (system: object, hook: ModelCallHook): void {
  hooks.set(system, hook)
}

/** Asks the model, through the hook of the call's actor system if it has one; timed when the call measures its agent turns. */
export function streamModel (model: AgentModel, request: ModelRequest, system: object, session?: Readonly<Record<string, unknown>>): AsyncIterable<ModelPart> {
  const hook = hooks.get(system)
  const parts = hook === undefined ? model.stream(request) : hook.stream(request, () => model.stream(request), session)
  const turns = agentTurnsOf(system)
  return turns === undefined ? parts : timed(parts, turns)
}

/** The model's answer, timed from the first part asked for until it ended, failed or was left. */
async function * timed (parts: AsyncIterable<ModelPart>, turns: AgentTurnObserver): AsyncIterable<ModelPart> {
  const answered = turns.modelStarted()
  try {
    yield * parts
  } finally {
    answered()
  }
}

/**
 * A hook that asks the model and hands each call's record to `keep` once it
 * has ended, however it ended, with the session the request came with.
 */
export function recordingHook (keep: (record: ModelCallRecord, session?: Readonly<Record<string, unknown>>) => void, now: () => number = Date.now): ModelCallHook {
  const requests = new RequestRecorder()
  let n = 0
  return {
    async * stream (request, ask, session) {
      const { signal, ...asked } = request
      const start = now()
      const record: ModelCallRecord = { at: start, n: ++n, request: requests.record(asked), parts: [] }
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
        keep(record, session)
      }
    }
  }
}
