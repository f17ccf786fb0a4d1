import t from 'tap'
import { audio, bargeIn, configureTranscription, configureVoiceToVoice, hangup, mixAudio, sendSms, speak, transfer } from '../../lib'
import type { Turn } from '../../lib/testing'
import { colorEnabled, paint } from '../../lib/cli/paint'
import { describeAction, describeMove, duration, formatState, renderTurn } from '../../lib/cli/render'

const plain = paint(false)

t.test('each action in one line a person reads', async (t) => {
  const cases: Array<[Parameters<typeof describeAction>[0], string]> = [
    [speak('Hello!'), 'assistant: Hello!'],
    [speak('Which day?', { user_input_timeout_seconds: 6 }), 'assistant: Which day?  (waits 6 s for an answer)'],
    [speak({ ssml: '<speak>Hi</speak>' }), 'assistant: (SSML) <speak>Hi</speak>'],
    [audio('AAAA'), '[plays 3 bytes of audio]'],
    [mixAudio({ audio: 'AAAA' }), '[plays background audio]'],
    [mixAudio({ stop: true }), '[stops the background audio]'],
    [hangup(), '[hangs up]'],
    [bargeIn(), '[stops what is playing]'],
    [transfer({ target_phone_number: '+4930123', caller_id_name: 'A', caller_id_number: '+49301' }), '[transfers the call to +4930123]'],
    [transfer({ target_phone_number: '+4930123', caller_id_name: 'A', caller_id_number: '+49301', timeout: 20 }), '[transfers the call to +4930123, back after 20 s without an answer]'],
    [sendSms({ phone_number: '4915112345678', message: 'See you at 8' }), '[texts 4915112345678: "See you at 8"]'],
    [configureTranscription({ provider: 'AZURE', languages: ['de-DE'] }), '[configures transcription {"provider":"AZURE","languages":["de-DE"]}]'],
    [configureVoiceToVoice({ system_prompt: 'Be nice' }), '[hands the call to the voice-to-voice model]']
  ]
  for (const [action, line] of cases) t.equal(describeAction(action, plain), line, action.type)
})

t.test('state values read as dotted paths', async (t) => {
  t.equal(formatState('menu'), 'menu')
  t.equal(formatState({ booking: 'askDate' }), 'booking.askDate')
  t.equal(formatState({ booking: { details: 'askName' } }), 'booking.details.askName')
  t.equal(formatState({ call: { music: 'on', talk: 'idle' } }), 'call.(music.on, talk.idle)')
  t.equal(formatState({ a: 'x', b: 'y' }), 'a.x, b.y')
  t.equal(formatState({}), '{}', 'a machine without states')
  t.equal(formatState(null), 'null')
})

t.test('durations', async (t) => {
  t.equal(duration(200), '200 ms')
  t.equal(duration(1500), '1.5 s')
  t.equal(duration(90_000), '90 s')
})

const session = { id: 's', direction: 'outbound' as const }

t.test('every move of a turn, described', async (t) => {
  const cases: Array<[Turn, string]> = [
    [{ move: 'start', event: { type: 'session_start', session }, actions: [], at: 0 }, 'call starts (outbound)'],
    [{ move: 'transferFailed', event: { type: 'session_start', session }, actions: [], at: 0 }, 'the transfer failed: the call is back'],
    [{ move: 'say', event: { type: 'user_speak', text: 'hi', session }, actions: [], at: 0 }, 'caller: hi'],
    [{ move: 'bargeIn', event: { type: 'user_speak', text: 'stop', barged_in: true, session }, actions: [], at: 0 }, 'caller (barging in): stop'],
    [{ move: 'press', event: { type: 'dtmf_received', digit: '#', session }, actions: [], at: 0 }, 'caller presses #'],
    [{ move: 'silence', actions: [], at: 0 }, 'caller stays silent'],
    [{ move: 'speechStarted', actions: [], at: 0 }, 'caller starts speaking'],
    [{ move: 'speechEnded', actions: [], at: 0 }, "the assistant's speech has ended"],
    [{ move: 'hangUp', actions: [], at: 0 }, 'caller hangs up'],
    [{ move: 'ended', actions: [], at: 0 }, 'the service ends the call'],
    [{ move: 'send', event: { type: 'sms_failed', session }, actions: [], at: 0 }, 'event sms_failed'],
    [{ move: 'wait', ms: 5000, actions: [], at: 65_000 }, '5 s pass (65 s into the call)']
  ]
  for (const [turn, line] of cases) t.equal(describeMove(turn, plain), line, turn.move)
})

t.test('a turn: the move when echoing, the actions, a note for held actions, the state', async (t) => {
  const waited: Turn = { move: 'wait', ms: 5000, actions: [speak('Still there?')], state: 'asking', at: 5000 }
  t.same(renderTurn(waited, plain, { echo: true }), [
    '5 s pass (5 s into the call)',
    'assistant: Still there?',
    '  (over the webhook, these lead the next reply)',
    '  state: asking'
  ])
  t.same(renderTurn({ move: 'silence', actions: [], at: 0 }, plain, { echo: false }), [], 'no state when none can be seen')
})

t.test('colour follows the terminal and the usual switches', async (t) => {
  const tty = { isTTY: true }
  t.equal(colorEnabled({}, tty), true)
  t.equal(colorEnabled({}, {}), false, 'not a terminal')
  t.equal(colorEnabled({ TERM: 'dumb' }, tty), false)
  t.equal(colorEnabled({ NO_COLOR: '1' }, tty), false)
  t.equal(colorEnabled({ NO_COLOR: '' }, tty), true, 'an empty NO_COLOR does not count')
  t.equal(colorEnabled({ FORCE_COLOR: '1' }, {}), true)
  t.equal(colorEnabled({ FORCE_COLOR: '0' }, tty), false)
  t.equal(colorEnabled({ NO_COLOR: '1' }, tty, true), true, '--color wins')
  t.equal(colorEnabled({}, tty, false), false, '--no-color wins')
  t.match(describeAction(hangup(), paint(true)), '\u001b[33m[hangs up]\u001b[39m')
})
