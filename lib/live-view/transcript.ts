import type { CallTurn, ToolCallNews } from '../sessions'
import { maskNumber } from './live-call'
import { maskPhoneNumbers } from './call-detail'

/** One line of a call's transcript, as the inspector lists it. */
export interface TranscriptLine {
  /** Unix time in ms at which the event arrived (our answers carry their event's time). */
  at: number
  /** Who it came from: the caller, our flow, or the service telling of the call. */
  from: 'caller' | 'us' | 'call'
  /** What it is: `said`, `key`, `barge-in`, `timeout`, `tool`, an action's type, or an event's type. */
  kind: string
  /** Its words, or what else there is to say of it (a tool's name); from a call, so never markup. */
  text: string
  /** A function tool's run, for a line of kind `tool`. */
  tool?: ToolLine
}

/** A function tool's run as the transcript shows it: its arguments and result as text, phone numbers masked. */
export interface ToolLine {
  args: string
  result: string
  outcome: ToolCallNews['outcome']
  /** Its round in the caller's turn, from 1. */
  round: number
  ms: number
}

/** Characters of a tool's arguments, and of its result, that a line keeps. */
export const TOOL_CHARACTERS = 2000

/** Lines kept per call: the most recent, so that a long call costs a bounded amount of memory. */
export const TRANSCRIPT_LINES = 300

type Fields = Record<string, unknown>

const text = (value: unknown): string => typeof value === 'string' ? value : ''

function eventLine (at: number, event: Fields): TranscriptLine {
  const type = String(event.type)
  switch (type) {
    case 'user_speak':
      return { at, from: 'caller', kind: event.barged_in === true ? 'barge-in' : 'said', text: text(event.text) }
    case 'dtmf_received':
      return { at, from: 'caller', kind: 'key', text: text(event.digit) }
    case 'user_input_timeout':
      return { at, from: 'call', kind: 'timeout', text: 'the caller said nothing' }
    case 'sms_failed':
      return { at, from: 'call', kind: type, text: text(event.reason) }
    default:
      return { at, from: 'call', kind: type, text: '' }
  }
}

function actionText (action: Fields): string {
  switch (action.type) {
    case 'speak':
      return text(action.text) || text(action.ssml)
    case 'transfer':
      return `to ${maskNumber(text(action.target_phone_number)) as string}`
    case 'send_sms':
      return `to ${maskNumber(text(action.phone_number)) as string}: ${text(action.message)}`
    case 'mix_audio':
      return action.stop === true ? 'stopped' : 'background audio'
    default:
      return ''
  }
}

const cut = (text: string): string => text.length > TOOL_CHARACTERS ? `${text.slice(0, TOOL_CHARACTERS)} … (${text.length - TOOL_CHARACTERS} more characters)` : text

/** JSON with its phone numbers masked, as the call's context is shown. */
function masked (value: unknown): string {
  return cut(JSON.stringify(value, maskPhoneNumbers, 2) ?? 'none')
}

/** A tool's result as the model got it: JSON shown as the context is, other text as it is (but a phone number). */
function maskedResult (result: string): string {
  try {
    return masked(JSON.parse(result))
  } catch {
    return cut(maskPhoneNumbers('', result) as string)
  }
}

/** The line of one function tool's run. */
export function toolLine (news: ToolCallNews): TranscriptLine {
  const { at, name, args, result, outcome, round, ms } = news
  return { at, from: 'us', kind: 'tool', text: name, tool: { args: masked(args), result: maskedResult(result), outcome, round, ms: Math.round(ms) } }
}

/** The lines one turn adds: the event, then each action of our reply. */
export function turnLines (turn: CallTurn): TranscriptLine[] {
  const lines = [eventLine(turn.at, turn.event as unknown as Fields)]
  for (const action of turn.reply) lines.push({ at: turn.at, from: 'us', kind: action.type, text: actionText(action as unknown as Fields) })
  return lines
}

/**
 * What was said and done on each call held here, in the call's order,
 * built from the registry's turns. A call's lines go when it ends. Kept in
 * this process only: a call served by another instance has none here.
 */
export class Transcripts {
  readonly #lines = new Map<string, TranscriptLine[]>()

  /** Takes one turn; an ended call's transcript is let go. */
  add (turn: CallTurn): void {
    const id = turn.event.session.id
    if (turn.event.type === 'session_end') {
      this.#lines.delete(id)
      return
    }
    const lines = this.#lines.get(id) ?? []
    const [heard, ...reply] = turnLines(turn)
    // Tools the event's work ran while its reply waited came after the event, and before the reply.
    let at = lines.length
    while (at > 0 && lines[at - 1].kind === 'tool' && lines[at - 1].at >= turn.at) at--
    lines.splice(at, 0, heard)
    lines.push(...reply)
    this.#keep(id, lines)
  }

  /** Takes one function tool's run of a call. */
  addTool (id: string, news: ToolCallNews): void {
    // Its caller's turn came first: a call without one here has ended (or is heard elsewhere), and keeps nothing.
    const lines = this.#lines.get(id)
    if (lines === undefined) return
    lines.push(toolLine(news))
    this.#keep(id, lines)
  }

  #keep (id: string, lines: TranscriptLine[]): void {
    if (lines.length > TRANSCRIPT_LINES) lines.splice(0, lines.length - TRANSCRIPT_LINES)
    this.#lines.set(id, lines)
  }

  /** The call's lines, oldest first; none for a call this process has not heard. */
  of (id: string): TranscriptLine[] {
    return this.#lines.get(id)?.slice() ?? []
  }

  forget (id: string): void {
    this.#lines.delete(id)
  }

  /** Calls with a transcript. */
  get size (): number {
    return this.#lines.size
  }
}
