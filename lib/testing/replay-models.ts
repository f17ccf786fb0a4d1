import type { ModelCallHook, ModelCallRecord, RecordedRequest } from '../agent/model-calls'
import { wholeRequests } from '../agent/recorded-requests'
import { pauseOn, type TestClock } from './clock'
import { sameJson } from './same-json'

/** A model request the replayed flow made differently from the recorded call, or one the recording has no answer for. */
export interface ModelDifference {
  sessionId: string
  /** The model call's position in its call, from 1. */
  position: number
  /** Undefined when the recorded call made fewer model calls. */
  recorded?: RecordedRequest
  replayed: RecordedRequest
}

/** A request as JSON, its fields in one order. */
const canonical = ({ instructions, messages, tools, options }: RecordedRequest): string => JSON.stringify({ instructions, messages, tools, options })

/**
 * Whether the replayed request is the recorded one. A masked digit of the
 * recording matches any digit: a recording masks the caller's number
 * wherever it appears, a transcript of the caller saying it included,
 * while the replayed call has that transcript from the recorded event.
 */
function sameRequest (recorded: RecordedRequest, replayed: RecordedRequest): boolean {
  if (sameJson(replayed, recorded)) return true
  const [mine, theirs] = [canonical(recorded), canonical(replayed)]
  return mine.length === theirs.length && [...mine].every((char, index) => char === theirs[index] || (char === '*' && /\d/.test(theirs[index])))
}

/**
 * Answers a replayed call's model calls from its recording, in order,
 * instead of asking the model: the same parts, the same error, the same
 * interruption. A part that came after `replyTimeout` comes as late on the
 * call's test clock, so a filler and a late answer replay as they happened;
 * earlier ones come at once. A request that differs from the recorded one
 * (instructions, tools, conversation, options) is reported, and answered
 * all the same.
 */
export function replayingModelCalls (sessionId: string, records: readonly ModelCallRecord[], clock: TestClock, replyTimeout: number, differs: (difference: ModelDifference) => void): Pick<ModelCallHook, 'stream'> {
  let next = 0
  const requests = wholeRequests(records.map((record) => record.request))
  return {
    async * stream (request) {
      const { signal, ...replayed } = request
      const position = ++next
      const record = records[position - 1]
      if (record === undefined) {
        differs({ sessionId, position, replayed })
        throw new Error(`the recording has no answer for model call ${position}`)
      }
      const recorded = requests[position - 1]
      if (!sameRequest(recorded, replayed)) differs({ sessionId, position, recorded, replayed })
      const start = clock.now()
      for (const { ms, part } of record.parts) {
        if (ms >= replyTimeout) await pauseOn(clock, start + ms - clock.now(), signal)
        yield part
      }
      if (record.error !== undefined) throw new Error(record.error)
      // Interrupted when recorded: it waits for what interrupts it in the replay.
      if (record.aborted === true) await pauseOn(clock, Infinity, signal)
    }
  }
}
