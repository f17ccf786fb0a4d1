import type { CallTurn } from '../sessions'
import { maskNumber } from './live-call'

/** One line of a call's transcript, as the inspector lists it. */
export interface TranscriptLine {
  /** Unix time in ms at which the event arrived (our answers carry their event's time). */
  at: number
  /** Who it came from: the caller, our flow, or the service telling of the call. */
  from: 'caller' | 'us' | 'call'
  /** What it is: `said`, `key`, `barge-in`, `timeout`, an action's type, or an event's type. */
  kind: string
  /** Its words, or what else there is to say of it; from a call, so never markup. */
  text: string
}

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
    lines.push(...turnLines(turn))
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
