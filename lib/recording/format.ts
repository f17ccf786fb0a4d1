import { formatProblems, validateEvent, type AiFlowAction, type Session } from '../protocol'
import type { CallTurn } from '../sessions'
import { redactAction, redactEvent } from './redact'
import type { ModelCallRecord, ToolCallRecord } from '../agent/model-calls'

/**
 * One line of a recording: one event of one call and what came of it.
 * Lines of a call are in the order the flow took its events; a stream may
 * interleave several calls, told apart by `event.session.id`.
 */
export interface RecordedTurn {
  /** Unix time in ms at which the event arrived. */
  at: number
  /** The event as it arrived (phone numbers masked when `redacted`). */
  event: { type: string, session: Session, [field: string]: unknown }
  /** The actions the reply carried, in order; `[]` for a 204. */
  reply: AiFlowAction[]
  /** The flow's state value after the event; absent once the call ended or failed. */
  state?: unknown
  /** Present and true when phone numbers were masked. */
  redacted?: true
  /**
   * Present and true when the event came over the WebSocket: `reply` is what
   * was sent in answer, and what the flow pushed later is not recorded.
   */
  pushed?: true
  /** The `replyTimeout` the call was served with, in ms: a replay waits as long. Missing in older recordings. */
  replyTimeout?: number
  /** The `flowVersion` of the instance that served the event. Missing in older recordings. */
  flowVersion?: string
}

/** What a recording keeps of the plugin's options, since a replay depends on them. */
export interface RecordedOptions {
  replyTimeout: number
  flowVersion: string
}

/** The JSON line for one turn, phone numbers masked unless told otherwise. */
export function recordLine (turn: CallTurn, redact: boolean, options?: RecordedOptions): string {
  const line: RecordedTurn = redact
    ? { at: turn.at, event: redactEvent(turn.event), reply: turn.reply.map(redactAction), state: turn.state, redacted: true }
    : { at: turn.at, event: turn.event, reply: turn.reply, state: turn.state }
  if (turn.pushed) line.pushed = true
  if (options !== undefined) Object.assign(line, options)
  return JSON.stringify(line) + '\n'
}

/** The JSON line for one model call of a call's agent states. */
export function modelLine (sessionId: string, model: ModelCallRecord): string {
  return JSON.stringify({ sessionId, model }) + '\n'
}

/** The JSON line for one run of a function tool of a call's agent states. */
export function toolLine (sessionId: string, tool: ToolCallRecord): string {
  return JSON.stringify({ sessionId, tool }) + '\n'
}

/** A recorded call: its turns in order, and its model calls and tool runs in the order they were made. */
export interface RecordedCall {
  sessionId: string
  turns: RecordedTurn[]
  /** What the model calls of its agent states returned, in the order they were made (`parseRecording` always fills it). */
  models?: ModelCallRecord[]
  /** What the function tools of its agent states did, in the order they began (`parseRecording` always fills it). */
  tools?: ToolCallRecord[]
}

/** What is wrong with a model call's line, or undefined. */
function modelLineProblem (line: { sessionId?: unknown, model?: unknown }): string | undefined {
  if (typeof line.sessionId !== 'string' || line.sessionId === '') return 'has a model call without a "sessionId"'
  const model = line.model as Partial<Record<keyof ModelCallRecord, unknown>> | null
  if (typeof model !== 'object' || model === null || typeof model.at !== 'number' || typeof model.request !== 'object' || !Array.isArray(model.parts)) {
    return 'has a model call without "at", "request" and "parts"'
  }
  return undefined
}

/** What is wrong with a tool run's line, or undefined. */
function toolLineProblem (line: { sessionId?: unknown, tool?: unknown }): string | undefined {
  if (typeof line.sessionId !== 'string' || line.sessionId === '') return 'has a tool run without a "sessionId"'
  const tool = line.tool as Partial<Record<keyof ToolCallRecord, unknown>> | null
  if (typeof tool !== 'object' || tool === null || typeof tool.at !== 'number' || typeof tool.name !== 'string' || typeof tool.ok !== 'boolean' ||
    typeof tool.result !== 'string' || typeof tool.ms !== 'number' || typeof tool.schemas !== 'object' || tool.schemas === null) {
    return 'has a tool run without "at", "name", "schemas", "ok", "result" and "ms"'
  }
  return undefined
}

function lineProblem (value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object'
  const line = value as Partial<Record<keyof RecordedTurn, unknown>>
  if (typeof line.at !== 'number') return 'has no number "at"'
  const event = validateEvent(line.event)
  if (!event.ok) return `has an invalid event: ${formatProblems(event.problems, 'event')}`
  if (!Array.isArray(line.reply)) return 'has no array "reply"'
  if (line.replyTimeout !== undefined && (typeof line.replyTimeout !== 'number' || !(line.replyTimeout > 0))) return 'has a "replyTimeout" that is not a positive number'
  if (line.flowVersion !== undefined && typeof line.flowVersion !== 'string') return 'has a "flowVersion" that is not a string'
  return undefined
}

/**
 * Reads a recording (JSON Lines, as the `record` option writes them) into
 * its calls, in the order each call first appears. Blank lines are skipped;
 * anything else that is not a recorded turn is an error naming its line.
 *
 * @example
 * const calls = parseRecording(await readFile('recordings/call.jsonl', 'utf8'))
 */
export function parseRecording (text: string): RecordedCall[] {
  const calls = new Map<string, RecordedCall>()
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      throw new SyntaxError(`line ${index + 1} is not JSON`)
    }
    const kind = typeof value !== 'object' || value === null ? 'turn' : 'model' in value ? 'model' : 'tool' in value ? 'tool' : 'turn'
    const problem = kind === 'model' ? modelLineProblem(value as { sessionId?: unknown, model?: unknown }) : kind === 'tool' ? toolLineProblem(value as { sessionId?: unknown, tool?: unknown }) : lineProblem(value)
    if (problem !== undefined) throw new SyntaxError(`line ${index + 1} ${problem}`)
    const id = kind === 'turn' ? (value as RecordedTurn).event.session.id : (value as { sessionId: string }).sessionId
    let call = calls.get(id)
    if (call === undefined) calls.set(id, call = { sessionId: id, turns: [], models: [], tools: [] })
    if (kind === 'model') (call.models as ModelCallRecord[]).push((value as { model: ModelCallRecord }).model)
    else if (kind === 'tool') (call.tools as ToolCallRecord[]).push((value as { tool: ToolCallRecord }).tool)
    else call.turns.push(value as RecordedTurn)
  })
  // A model call or a tool run is written when it ends; replay answers them in the order they began.
  const began = (a: { at: number, n?: number }, b: { at: number, n?: number }): number => a.at - b.at || (a.n ?? 0) - (b.n ?? 0)
  for (const call of calls.values()) {
    call.models?.sort(began)
    call.tools?.sort(began)
  }
  return [...calls.values()]
}
