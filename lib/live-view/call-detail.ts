import type { AnyStateMachine, StateValue } from 'xstate'
import { callView, type SessionRecord } from '../sessions'
import { toMermaid } from '../tools/mermaid'
import { liveCall, maskNumber, type LiveCall } from './live-call'
import type { TranscriptLine } from './transcript'

/** A delayed event the call's flow is waiting for. */
export interface LiveTimer {
  id: string
  /** The event it sends. */
  event: string
  /** The actor it is sent to: '' for the call's flow, else the path of ids of an actor the flow invoked. */
  actor: string
  /** When it is due, in ms on the registry's clock (Unix time unless a test clock runs the flow). */
  dueAt: number
}

/** Everything the inspector shows of the selected call. */
export interface CallDetail {
  call: LiveCall
  /** The flow's context as indented JSON; from the call, so shown as text only. */
  context: string
  transcript: TranscriptLine[]
  timers: LiveTimer[]
  /** The flow's diagram with the call's active states highlighted. */
  mermaid: string
}

/** Longer contexts are cut: the page is for a look, not for a dump. */
export const CONTEXT_CHARACTERS = 20_000

/** The record's pending delayed events, soonest first; none in a record written before timers were kept. */
export function timersOf (record: SessionRecord): LiveTimer[] {
  return (record.timers ?? []).map((timer) => ({ id: timer.id, event: timer.event.type, actor: timer.target, dueAt: timer.dueAt }))
    .sort((a, b) => a.dueAt - b.dueAt)
}

// A phone number as people and the service write it: an optional `+`, 7 to 15 digits, spaces, dashes or parentheses between.
const PHONE_TEXT = /^\+?[\d(][\d ()-]*\d$/
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}/
// A number (not a string) is a phone number only where the key says so: timestamps and counters are numbers too.
const PHONE_KEY = /phone/i

function phoneDigits (text: string): boolean {
  const digits = text.replace(/\D/g, '').length
  return digits >= 7 && digits <= 15
}

/**
 * A value that looks like a phone number is masked as in the call list,
 * whatever its key: `numberTries: 0` is a count, `callback: '+49 30 1234567'`
 * is a number to hide. A number value is masked under a key naming a phone.
 */
export function maskPhoneNumbers (key: string, value: unknown): unknown {
  if (typeof value === 'string' && PHONE_TEXT.test(value) && !DATE_TEXT.test(value) && phoneDigits(value)) return maskNumber(value)
  if (typeof value === 'number' && PHONE_KEY.test(key) && Number.isInteger(value) && phoneDigits(String(value))) return maskNumber(String(value))
  return value
}

function contextText (context: unknown): string {
  const json = JSON.stringify(context, maskPhoneNumbers, 2) ?? 'none'
  return json.length > CONTEXT_CHARACTERS ? `${json.slice(0, CONTEXT_CHARACTERS)}\n… (${json.length - CONTEXT_CHARACTERS} more characters)` : json
}

/** The selected call as the inspector shows it, from its record and what this process heard of it. */
export function callDetail (id: string, record: SessionRecord, transcript: TranscriptLine[], flow: AnyStateMachine): CallDetail {
  const view = callView(record, id)
  return {
    call: liveCall(view, flow),
    context: contextText(view.context),
    transcript,
    timers: timersOf(record),
    mermaid: toMermaid(flow, { highlight: view.state as StateValue | undefined })
  }
}
