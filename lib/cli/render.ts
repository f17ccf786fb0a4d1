import type { FlowAction } from '../protocol'
import type { Turn } from '../testing'
import type { Paint } from './paint'

/** A state value as dotted paths: `{ booking: 'askDate' }` reads `booking.askDate`. */
export function formatState (value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value !== 'object' || value === null) return String(value)
  if (Object.keys(value).length === 0) return '{}'
  return Object.entries(value).map(([key, inner]) => {
    const rest = formatState(inner)
    return typeof inner === 'object' && inner !== null && Object.keys(inner).length > 1 ? `${key}.(${rest})` : `${key}.${rest}`
  }).join(', ')
}

function seconds (value: number): string {
  return `${value} s`
}

/** `1500` reads `1.5 s`, `90000` reads `90 s`, `200` reads `200 ms`. */
export function duration (ms: number): string {
  return ms < 1000 ? `${ms} ms` : seconds(ms / 1000)
}

type Describers = { [K in FlowAction['type']]: (action: Extract<FlowAction, { type: K }>, c: Paint) => string }

const describers: Describers = {
  speak: (action, c) => {
    const said = 'text' in action ? action.text : `(SSML) ${action.ssml}`
    const timeout = action.user_input_timeout_seconds === undefined ? '' : c.dim(`  (waits ${seconds(action.user_input_timeout_seconds)} for an answer)`)
    return `${c.bold(c.green('assistant:'))} ${c.green(said)}${timeout}`
  },
  audio: (action, c) => c.magenta(`[plays ${Math.floor(action.audio.length * 3 / 4)} bytes of audio]`),
  mix_audio: (action, c) => c.magenta(action.stop === true ? '[stops the background audio]' : '[plays background audio]'),
  hangup: (_, c) => c.yellow('[hangs up]'),
  barge_in: (_, c) => c.magenta('[stops what is playing]'),
  transfer: (action, c) => {
    const timeout = action.timeout === undefined ? '' : `, back after ${seconds(action.timeout)} without an answer`
    return c.yellow(`[transfers the call to ${action.target_phone_number}${timeout}]`)
  },
  send_sms: (action, c) => c.magenta(`[texts ${action.phone_number}: ${JSON.stringify(action.message)}]`),
  configure_transcription: ({ type: _, ...fields }, c) => c.magenta(`[configures transcription ${JSON.stringify(fields)}]`),
  configure_voice_to_voice: (_, c) => c.magenta('[hands the call to the voice-to-voice model]')
}

/** One line for one action, as a person would say what the assistant does. */
export function describeAction (action: FlowAction, c: Paint): string {
  return (describers[action.type] as (action: FlowAction, c: Paint) => string)(action, c)
}

/** What the caller (or time) did, for transcripts. */
export function describeMove (turn: Turn, c: Paint): string {
  const event = turn.event as { text?: string, digit?: string } | undefined
  switch (turn.move) {
    case 'start': return c.dim(`call starts (${String((turn.event?.session as { direction?: string }).direction)})`)
    case 'transferFailed': return c.dim('the transfer failed: the call is back')
    case 'say': return `${c.bold(c.cyan('caller:'))} ${c.cyan(String(event?.text))}`
    case 'bargeIn': return `${c.bold(c.cyan('caller (barging in):'))} ${c.cyan(String(event?.text))}`
    case 'press': return c.cyan(`caller presses ${String(event?.digit)}`)
    case 'silence': return c.dim('caller stays silent')
    case 'speechStarted': return c.dim('caller starts speaking')
    case 'speechEnded': return c.dim("the assistant's speech has ended")
    case 'hangUp': return c.dim('caller hangs up')
    case 'ended': return c.dim('the service ends the call')
    case 'send': return c.dim(`event ${String(turn.event?.type)}`)
    case 'wait': return c.dim(`${duration(turn.ms as number)} pass (${duration(turn.at)} into the call)`)
  }
}

/** The lines for one turn: what the assistant did, then the state it is in. */
export function renderTurn (turn: Turn, c: Paint, { echo }: { echo: boolean }): string[] {
  const lines = echo ? [describeMove(turn, c)] : []
  lines.push(...turn.actions.map((action) => describeAction(action, c)))
  if (turn.move === 'wait' && turn.actions.length > 0) lines.push(c.dim('  (over the webhook, these lead the next reply)'))
  if (turn.state !== undefined) lines.push(c.dim(`  state: ${formatState(turn.state)}`))
  return lines
}
