import { sameJson } from './same-json'
import type { AnyStateMachine } from 'xstate'
import type { AiFlowAction } from '../protocol'
import { redactAction, type RecordedCall, type RecordedTurn } from '../recording'
import { FlowDriver, type FlowDriverOptions } from './flow-driver'
import { replayingModelCalls, type ModelDifference } from './replay-models'
import { replayingToolCalls, type ToolDifference } from './replay-tools'
import { DEFAULT_REPLY_TIMEOUT } from '../options'
import { flowVersionOf } from '../flow'

/** One event whose reply came out differently from the recorded one. */
export interface ReplayDifference {
  sessionId: string
  /** The event's position in its call, from 1. */
  position: number
  event: RecordedTurn['event']
  recorded: AiFlowAction[]
  replayed: AiFlowAction[]
  recordedState: unknown
  replayedState: unknown
}

export interface ReplayResult {
  calls: number
  events: number
  differences: ReplayDifference[]
  /** Model calls of agent states asked differently than recorded; the recorded answer was replayed all the same. */
  modelDifferences: ModelDifference[]
  /** Function tool calls made differently than recorded (another tool, other arguments, a changed schema), or with no recorded run; no tool ever runs. */
  toolDifferences: ToolDifference[]
  /** What the flow failed with during the replay, by call. */
  errors: Array<{ sessionId: string, err: Error }>
  /** Calls recorded with a flow version other than the one replayed: their differences may be the flow's changes. */
  versions: Array<{ sessionId: string, recorded: string, replayed: string }>
}

/**
 * Runs recorded calls through `flow`, each on its own simulated clock that
 * moves as the recorded arrival times did, with the `replyTimeout` the call
 * was recorded with (unless `options.replyTimeout` says otherwise), and reports every event whose
 * reply differs, and every call recorded with another flow version.
 * The model calls and function tool calls of agent states are answered
 * from the recording: no model is asked and no tool runs (a replayed
 * booking books nothing); a tool call made differently, or a tool whose
 * schemas changed, is reported in `toolDifferences`.
 * Replies of recordings with masked phone numbers are masked
 * the same way before they are compared. An event recorded from the webhook
 * is answered as the webhook answers it; one recorded from the WebSocket is
 * answered at once, `user_speech_started` included. A WebSocket recording
 * holds only what went out in answer to each event, not what the flow
 * pushed between events or after the answer: so what the flow emitted
 * before the event is left out of the replayed reply, and the rest, which
 * waits for the work the event started as over the webhook, is cut to as
 * many actions as were recorded.
 *
 * @example
 * const result = await replayRecording(parseRecording(text), flow)
 * t.same(result.differences, [])
 */
export async function replayRecording (calls: readonly RecordedCall[], flow: AnyStateMachine, options: FlowDriverOptions = {}): Promise<ReplayResult> {
  const result: ReplayResult = { calls: calls.length, events: 0, differences: [], modelDifferences: [], toolDifferences: [], errors: [], versions: [] }
  const replayed = options.flowVersion ?? flowVersionOf(flow)
  for (const call of calls) {
    // The call's model calls and tool calls are answered from the recording, never by a model or a tool.
    const differs = (difference: ModelDifference): void => { result.modelDifferences.push(difference) }
    const toolDiffers = (difference: ToolDifference): void => { result.toolDifferences.push(difference) }
    const served = call.turns[0]
    const replyTimeout = options.replyTimeout ?? served?.replyTimeout ?? DEFAULT_REPLY_TIMEOUT
    const recorded = served?.flowVersion
    if (recorded !== undefined && recorded !== replayed) result.versions.push({ sessionId: call.sessionId, recorded, replayed })
    const driver: FlowDriver = new FlowDriver(flow, {
      ...options,
      replyTimeout,
      modelCalls: (id) => ({
        stream: replayingModelCalls(id, call.models ?? [], driver.clock, replyTimeout, differs).stream,
        tool: replayingToolCalls(id, call.tools ?? [], driver.clock, replyTimeout, toolDiffers)
      })
    })
    try {
      await replayCall(driver, call, result)
    } finally {
      await driver.close()
    }
    for (const err of driver.errors) result.errors.push({ sessionId: call.sessionId, err })
  }
  return result
}

async function replayCall (driver: FlowDriver, call: RecordedCall, result: ReplayResult): Promise<void> {
  let last: number | undefined
  for (const [index, turn] of call.turns.entries()) {
    await driver.clock.advance(Math.max(0, turn.at - (last ?? turn.at)))
    last = Math.max(last ?? turn.at, turn.at)
    const pushed = turn.pushed === true
    // Over the WebSocket, what the flow emitted since its last answer went out as it came, unrecorded.
    const earlier = pushed ? await driver.queued(call.sessionId) : 0
    const answer = await driver.send(turn.event, pushed ? 'websocket' : 'webhook')
    const masked = turn.redacted === true ? answer.actions.map(redactAction) : answer.actions
    const replayed = pushed ? masked.slice(earlier, earlier + turn.reply.length) : masked
    result.events++
    if (sameJson(replayed, turn.reply)) continue
    result.differences.push({
      sessionId: call.sessionId,
      position: index + 1,
      event: turn.event,
      recorded: turn.reply,
      replayed,
      recordedState: turn.state,
      replayedState: answer.state
    })
  }
}
