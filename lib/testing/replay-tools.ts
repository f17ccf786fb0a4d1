import { jsonCopy } from '../agent/recorded-requests'
import { toolSchemas, type ModelCallHook, type ToolCallRecord, type ToolSchemas } from '../agent/model-calls'
import { messageOf } from '../error-message'
import { pauseOn, type TestClock } from './clock'
import { sameJson } from './same-json'

/** A function tool's call as a replay compares it: its name, its arguments, and the tool's schemas. */
export interface ComparedToolCall {
  name: string
  args: unknown
  schemas: ToolSchemas
}

/** A function tool's call the replayed flow made differently from the recorded one, or one the recording has no result for. */
export interface ToolDifference {
  sessionId: string
  /** The tool call's position among the call's tool runs, from 1. */
  position: number
  /** Undefined when the recorded call ran fewer tools. */
  recorded?: ComparedToolCall
  replayed: ComparedToolCall
}

const compared = ({ name, args, schemas }: ComparedToolCall): ComparedToolCall => ({ name, args, schemas })

/**
 * Answers a replayed call's function tool calls from its recording, in
 * order, and never runs a tool: the same result or error, after as long as
 * it took. A run that ended after `replyTimeout` ends as late on the call's
 * test clock, earlier ones at once, as a model's answer does; so does the
 * tool's slow line, said when the recorded run took at least its `after`.
 * A run stopped when recorded (barge-in, hang-up) waits for what stops it.
 * A call whose name, arguments or tool schemas differ from the recorded
 * one is reported and answered all the same; one the recording has no run
 * of that tool for is reported and answered with an error for the model.
 */
export function replayingToolCalls (sessionId: string, records: readonly ToolCallRecord[], clock: TestClock, replyTimeout: number, differs: (difference: ToolDifference) => void): ModelCallHook['tool'] {
  let next = 0
  return async (call, _run, signal) => {
    const position = ++next
    const record = records[position - 1]
    const replayed: ComparedToolCall = { name: call.name, args: jsonCopy(call.args), schemas: toolSchemas(call) }
    if (record?.name !== call.name) {
      differs({ sessionId, position, recorded: record === undefined ? undefined : compared(record), replayed })
      return { ok: false, result: `the recording has no result for tool call ${position} (${call.name})` }
    }
    if (!sameJson(compared(record), replayed)) differs({ sessionId, position, recorded: compared(record), replayed })
    const start = clock.now()
    const until = async (ms: number): Promise<void> => { if (ms >= replyTimeout) await pauseOn(clock, start + ms - clock.now(), signal) }
    try {
      if (call.slowLine !== undefined && record.ms >= call.slowLine.after) {
        await until(call.slowLine.after)
        call.slowLine.say()
      }
      if (record.aborted === true) await pauseOn(clock, Infinity, signal)
      await until(record.ms)
    } catch (err) {
      return { ok: false, result: messageOf(err) }
    }
    return { ok: record.ok, result: record.result }
  }
}
