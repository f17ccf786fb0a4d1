import type { AgentModel, ModelPart, ModelRequest } from './model'
import { messageOf } from '../error-message'
import { jsonCopy, RequestRecorder, type RecordedDelta } from './recorded-requests'
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

/** The schemas of a function tool, as JSON: a recording keeps them, and a replay tells when they changed. */
export interface ToolSchemas {
  parameters: unknown
  /** Absent for a tool without a result schema. */
  result?: unknown
}

/** One run of a function tool as a recording keeps it: how it was called, what came of it, and when. */
export interface ToolCallRecord {
  /** Unix time in ms at which it began. */
  at: number
  /** Its place among the call's tool runs on the instance that ran it, from 1: orders those begun in the same ms. */
  n?: number
  name: string
  args: unknown
  /** The key it was run with (the outside service's idempotency key). */
  key: string
  schemas: ToolSchemas
  /** False when it failed, timed out or returned what its result schema does not allow: `result` is then the error the model was given. */
  ok: boolean
  /** What the model was given: the result as text, or the error. */
  result: string
  /** Ms from its start to its outcome. */
  ms: number
  /** Stopped before it ended (the caller barged in or hung up): its outcome never reached the model. */
  aborted?: true
}

/** A call of a function tool, as a hook is given it. */
export interface ToolCall {
  name: string
  args: unknown
  key: string
  /** The tool's schemas (TypeBox, so JSON Schema). */
  parameters: unknown
  result?: unknown
  /** The tool's slow line, said through `say` (once per round): a replay says it when the recorded run took `after` ms or more. */
  slowLine?: { after: number, say: () => void }
}

/** What came of one call of a function tool: what the model is given. */
export interface ToolReply { ok: boolean, result: string }

/**
 * Takes part in every model call and every function tool run of one call's
 * agent states: to keep what the model answers and the tools return (a
 * recording), or to answer in their place (a replay). `ask` calls the model
 * itself, `run` runs the tool.
 */
export interface ModelCallHook {
  /** `session` is the call's, as the event that asked had it: a recording masks its phone numbers. */
  stream (request: ModelRequest, ask: () => AsyncIterable<ModelPart>, session?: Readonly<Record<string, unknown>>): AsyncIterable<ModelPart>
  /** Runs one call of a function tool through `run`, or answers it in its place; never throws. `signal` is the round's. */
  tool (call: ToolCall, run: () => Promise<ToolReply>, signal: AbortSignal): Promise<ToolReply>
}

/** The hook of each call's actor system (one per call, made by the session engine). */
const hooks = new WeakMap<object, ModelCallHook>()

/** Makes `hook` take part in every model call of the actor system's agent states. */
export function hookModelCalls (system: object, hook: ModelCallHook): void {
  hooks.set(system, hook)
}

/** The hook of the call's actor system, if it has one. */
export function modelCallHook (system: object): ModelCallHook | undefined {
  return hooks.get(system)
}

/** The schemas of a tool call as a recording keeps them. */
export function toolSchemas ({ parameters, result }: ToolCall): ToolSchemas {
  const schemas: ToolSchemas = { parameters: jsonCopy(parameters) }
  if (result !== undefined) schemas.result = jsonCopy(result)
  return schemas
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
 * has ended, however it ended, with the session the request came with; and
 * runs each function tool and hands its record to `keepTool` once it has
 * an outcome.
 */
export function recordingHook (keep: (record: ModelCallRecord, session?: Readonly<Record<string, unknown>>) => void, now: () => number, keepTool: (record: ToolCallRecord) => void): ModelCallHook {
  const requests = new RequestRecorder()
  let n = 0
  let runs = 0
  return {
    async tool (call, run, signal) {
      const start = now()
      const record: Omit<ToolCallRecord, 'ok' | 'result' | 'ms'> = { at: start, n: ++runs, name: call.name, args: jsonCopy(call.args), key: call.key, schemas: toolSchemas(call) }
      const outcome = await run()
      keepTool({ ...record, ok: outcome.ok, result: outcome.result, ms: now() - start, ...(signal.aborted ? { aborted: true } : {}) })
      return outcome
    },
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
