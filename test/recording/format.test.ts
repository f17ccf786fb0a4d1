import t from 'tap'
import { parseRecording, recordLine } from '../../lib/recording'

const session = { id: 'call-1', from_phone_number: '+9876543210' }
const turn = { at: 1000, event: { type: 'session_start', session }, reply: [{ type: 'speak', session_id: 'call-1', text: 'Hi' }] as any, state: 'greeting', pushed: false }

t.test('a turn is one JSON line; numbers are masked unless told otherwise', async (t) => {
  const line = recordLine(turn, true)
  t.ok(line.endsWith('\n'))
  t.same(JSON.parse(line), {
    at: 1000,
    event: { type: 'session_start', session: { id: 'call-1', from_phone_number: '+********10' } },
    reply: [{ type: 'speak', session_id: 'call-1', text: 'Hi' }],
    state: 'greeting',
    redacted: true
  })
  t.same(JSON.parse(recordLine(turn, false)), { at: 1000, event: { type: 'session_start', session }, reply: turn.reply, state: 'greeting' })
  t.notOk('state' in JSON.parse(recordLine({ ...turn, state: undefined }, false)), 'an ended call has no state')
  t.notOk('pushed' in JSON.parse(recordLine(turn, false)), 'a webhook turn is not marked')
  t.equal(JSON.parse(recordLine({ ...turn, pushed: true }, true)).pushed, true, 'a WebSocket turn is')
})

t.test('a recording is read into its calls, each in order', async (t) => {
  const line = (id: string, at: number, type: string): string => JSON.stringify({ at, event: { type, session: { id } }, reply: [] })
  const text = [line('a', 1, 'session_start'), '', line('b', 2, 'session_start'), line('a', 3, 'session_end'), '   '].join('\n')
  const calls = parseRecording(text)
  t.same(calls.map((call) => [call.sessionId, call.turns.map((turn) => turn.event.type)]), [
    ['a', ['session_start', 'session_end']],
    ['b', ['session_start']]
  ])
  t.same(parseRecording(''), [])
})

t.test('what is not a recorded turn is refused, naming its line', async (t) => {
  const ok = JSON.stringify({ at: 1, event: { type: 'session_start', session: { id: 'a' } }, reply: [] })
  t.throws(() => parseRecording(`${ok}\n{oops`), new SyntaxError('line 2 is not JSON'))
  t.throws(() => parseRecording('[1]'), new SyntaxError('line 1 is not a JSON object'))
  t.throws(() => parseRecording('null'), new SyntaxError('line 1 is not a JSON object'))
  t.throws(() => parseRecording('{"event":{}}'), new SyntaxError('line 1 has no number "at"'))
  t.throws(() => parseRecording('{"at":1,"event":{"type":"dtmf_received","digit":"x","session":{"id":"a"}},"reply":[]}'),
    /line 1 has an invalid event: event\/digit must be exactly one of 0-9, \* or #/)
  t.throws(() => parseRecording('{"at":1,"event":{"type":"session_start","session":{"id":"a"}}}'), new SyntaxError('line 1 has no array "reply"'))
})
