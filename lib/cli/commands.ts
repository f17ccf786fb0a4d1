import type { SimulatedCall } from '../testing'

/** One line typed during `simulate`, understood. */
export type Command =
  | { kind: 'say' | 'bargeIn', text: string }
  | { kind: 'press', keys: string }
  | { kind: 'silence' | 'speechStarted' | 'speechEnded' | 'transferFailed' | 'hangUp' | 'state' | 'help' | 'nothing' }
  | { kind: 'wait', ms: number }
  | { kind: 'send', event: { type: string, [field: string]: unknown } }
  | { kind: 'error', message: string }

export const HELP = [
  'Type what the caller says. A line of digits, * and # is key presses.',
  '  /say <text>     say it, even if it is digits',
  '  /barge <text>   talk over the assistant (/b)',
  '  /silence        stay silent until the input timeout (/s)',
  '  /started        start speaking (user_speech_started)',
  "  /ended          the assistant's speech has ended (/e)",
  '  /wait <time>    let time pass on the flow\'s clock: 5s, 500ms, 2m (/w)',
  '  /back           the transfer failed: the call comes back (session_start again)',
  '  /event <json>   send any event, e.g. /event {"type":"sms_failed","reason":"blocked"}',
  '  /state          show the state the flow is in',
  '  /hangup         hang up and leave (/h, /bye); so does end of input (Ctrl-D)'
]

const SIMPLE: Record<string, Command['kind']> = {
  '/silence': 'silence',
  '/s': 'silence',
  '/started': 'speechStarted',
  '/ended': 'speechEnded',
  '/e': 'speechEnded',
  '/back': 'transferFailed',
  '/hangup': 'hangUp',
  '/h': 'hangUp',
  '/bye': 'hangUp',
  '/state': 'state',
  '/help': 'help',
  '/?': 'help'
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** `5s`, `500ms`, `2m`, or a bare number of seconds, in ms. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim())
  return match === null ? undefined : Math.round(Number(match[1]) * UNITS[match[2] ?? 's'])
}

function parseEvent (json: string): Command {
  try {
    const event = JSON.parse(json) as unknown
    if (typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string') {
      return { kind: 'send', event: event as { type: string } }
    }
  } catch {}
  return { kind: 'error', message: '/event takes a JSON object with a "type"' }
}

/** What a typed line asks for. */
export function parseCommand (line: string): Command {
  const text = line.trim()
  if (text === '') return { kind: 'nothing' }
  if (/^[0-9*#]+$/.test(text)) return { kind: 'press', keys: text }
  if (!text.startsWith('/')) return { kind: 'say', text }
  const space = text.indexOf(' ')
  const name = space === -1 ? text : text.slice(0, space)
  const rest = space === -1 ? '' : text.slice(space + 1).trim()
  const simple = SIMPLE[name]
  if (simple !== undefined) return { kind: simple } as Command
  if (name === '/say' || name === '/barge' || name === '/b') {
    if (rest === '') return { kind: 'error', message: `${name} takes what the caller says` }
    return { kind: name === '/say' ? 'say' : 'bargeIn', text: rest }
  }
  if (name === '/wait' || name === '/w') {
    const ms = parseDuration(rest)
    return ms === undefined ? { kind: 'error', message: '/wait takes a time: 5s, 500ms, 2m' } : { kind: 'wait', ms }
  }
  if (name === '/event') return parseEvent(rest)
  return { kind: 'error', message: `${text} is not a command; /help lists them` }
}

/** Plays a move on the call. Commands that are no move (help, state) are the caller's to show. */
export async function playCommand (call: SimulatedCall, command: Command): Promise<void> {
  switch (command.kind) {
    case 'say': await call.say(command.text); break
    case 'bargeIn': await call.bargeIn(command.text); break
    case 'press': await call.press(command.keys); break
    case 'silence': await call.silence(); break
    case 'speechStarted': await call.speechStarted(); break
    case 'speechEnded': await call.speechEnded(); break
    case 'transferFailed': await call.transferFailed(); break
    case 'hangUp': await call.hangUp(); break
    case 'wait': await call.wait(command.ms); break
    case 'send': await call.send(command.event); break
  }
}
