import t from 'tap'
import type { CallTurn } from '../../lib/sessions'
import { TOOL_CHARACTERS, TRANSCRIPT_LINES, Transcripts, toolLine, turnLines } from '../../lib/live-view/transcript'

const session = { id: 'c1' }
const turn = (event: Record<string, unknown>, reply: Array<Record<string, unknown>> = [], at = 1000): CallTurn =>
  ({ at, event: { session, ...event } as CallTurn['event'], reply: reply.map((action) => ({ session_id: 'c1', ...action })) as CallTurn['reply'], state: 'a', pushed: false })

t.test("each event becomes a line: the caller's words and keys, barge-ins, timeouts, and the rest by type", async (t) => {
  t.same(turnLines(turn({ type: 'user_speak', text: 'sales please' })), [{ at: 1000, from: 'caller', kind: 'said', text: 'sales please' }])
  t.same(turnLines(turn({ type: 'user_speak', text: 'stop', barged_in: true }))[0], { at: 1000, from: 'caller', kind: 'barge-in', text: 'stop' })
  t.same(turnLines(turn({ type: 'user_speak', barged_in: false }))[0], { at: 1000, from: 'caller', kind: 'said', text: '' }, 'a missing text is empty')
  t.same(turnLines(turn({ type: 'dtmf_received', digit: '#' }))[0], { at: 1000, from: 'caller', kind: 'key', text: '#' })
  t.same(turnLines(turn({ type: 'user_input_timeout' }))[0], { at: 1000, from: 'call', kind: 'timeout', text: 'the caller said nothing' })
  t.same(turnLines(turn({ type: 'sms_failed', reason: 'unreachable' }))[0], { at: 1000, from: 'call', kind: 'sms_failed', text: 'unreachable' })
  t.same(turnLines(turn({ type: 'assistant_speech_ended' }))[0], { at: 1000, from: 'call', kind: 'assistant_speech_ended', text: '' })
})

t.test('each action of our reply becomes a line, phone numbers masked', async (t) => {
  const lines = turnLines(turn({ type: 'session_start' }, [
    { type: 'speak', text: 'Hello' },
    { type: 'speak', ssml: '<speak>Hi</speak>' },
    { type: 'transfer', target_phone_number: '4921155660100', caller_id_name: 'Acme', caller_id_number: '4921155660000' },
    { type: 'send_sms', phone_number: '4915790000123', message: 'Your code is 42' },
    { type: 'mix_audio', audio: 'UklGRg==' },
    { type: 'mix_audio', stop: true },
    { type: 'hangup' }
  ], 2000))
  t.same(lines.map((line) => [line.from, line.kind, line.text]), [
    ['call', 'session_start', ''],
    ['us', 'speak', 'Hello'],
    ['us', 'speak', '<speak>Hi</speak>'],
    ['us', 'transfer', 'to •••100'],
    ['us', 'send_sms', 'to •••123: Your code is 42'],
    ['us', 'mix_audio', 'background audio'],
    ['us', 'mix_audio', 'stopped'],
    ['us', 'hangup', '']
  ])
  t.ok(lines.every((line) => line.at === 2000), 'our answers carry their event\'s time')
})

t.test('a call keeps its most recent lines, and loses them when it ends', async (t) => {
  const transcripts = new Transcripts()
  t.same(transcripts.of('c1'), [], 'a call not heard has none')
  for (let n = 0; n < TRANSCRIPT_LINES; n++) transcripts.add(turn({ type: 'dtmf_received', digit: String(n % 10) }, [{ type: 'speak', text: `turn ${n}` }], n))
  const lines = transcripts.of('c1')
  t.equal(lines.length, TRANSCRIPT_LINES)
  t.same(lines.at(-1), { at: TRANSCRIPT_LINES - 1, from: 'us', kind: 'speak', text: `turn ${TRANSCRIPT_LINES - 1}` })
  t.equal(lines[0].at, TRANSCRIPT_LINES / 2, 'the oldest went first')
  lines.length = 0
  t.equal(transcripts.of('c1').length, TRANSCRIPT_LINES, 'what is handed out is a copy')
  transcripts.add(turn({ type: 'session_end' }))
  t.same(transcripts.of('c1'), [])
  t.equal(transcripts.size, 0)
  transcripts.add(turn({ type: 'session_start' }))
  t.equal(transcripts.size, 1)
  transcripts.forget('c1')
  t.equal(transcripts.size, 0)
})

const ran = (at: number, fields: Record<string, unknown> = {}) => ({ at, name: 'lookup', args: { order: 4711 }, round: 1, outcome: 'ok' as const, result: '{"status":"packed"}', ms: 503.4, ...fields })

t.test("a function tool's run is a line of its own: its arguments and result as JSON, phone numbers masked, long ones cut", async (t) => {
  t.same(toolLine(ran(5000, { args: { callback: '+49 30 1234567' }, result: '{"driver":"4917012345678"}' })), {
    at: 5000,
    from: 'us',
    kind: 'tool',
    text: 'lookup',
    tool: { args: '{\n  "callback": "•••567"\n}', result: '{\n  "driver": "•••678"\n}', outcome: 'ok', round: 1, ms: 503 }
  })
  t.same(toolLine(ran(5000, { outcome: 'timeout', result: 'lookup took longer than 10 s' })).tool?.result, 'lookup took longer than 10 s', 'an error as its text')
  t.same(toolLine(ran(5000, { outcome: 'error', result: '+49 30 1234567' })).tool?.result, '•••567', 'a phone number alone, masked too')
  t.equal(toolLine(ran(5000, { args: undefined })).tool?.args, 'none')
  const long = toolLine(ran(5000, { args: 'x'.repeat(TOOL_CHARACTERS + 10), result: 'y'.repeat(TOOL_CHARACTERS + 5) })).tool
  t.equal(long?.args, `"${'x'.repeat(TOOL_CHARACTERS - 1)} … (12 more characters)`, 'cut, saying how much more there was')
  t.equal(long?.result, `${'y'.repeat(TOOL_CHARACTERS)} … (5 more characters)`)
})

t.test('a run comes after the event whose turn ran it and before the reply that waited for it; a call not heard keeps none', async (t) => {
  const transcripts = new Transcripts()
  transcripts.addTool('c1', ran(1500))
  t.same(transcripts.of('c1'), [], 'no line for a call not heard here (or one that ended)')
  transcripts.add(turn({ type: 'session_start' }, [], 1000))
  // Over the webhook the reply waits for the run: the run is told of first.
  transcripts.addTool('c1', ran(2100))
  transcripts.addTool('c1', ran(2200, { name: 'book' }))
  transcripts.add(turn({ type: 'user_speak', text: 'where is it?' }, [{ type: 'speak', text: 'Packed.' }], 2000))
  // Over a WebSocket the event's turn is over before the run starts.
  transcripts.add(turn({ type: 'user_speak', text: 'and now?' }, [], 3000))
  transcripts.addTool('c1', ran(3100))
  transcripts.add(turn({ type: 'assistant_speech_ended' }, [], 3500))
  t.same(transcripts.of('c1').map((line) => `${line.kind} ${line.text}`), [
    'session_start ',
    'said where is it?',
    'tool lookup',
    'tool book',
    'speak Packed.',
    'said and now?',
    'tool lookup',
    'assistant_speech_ended '
  ])
})
