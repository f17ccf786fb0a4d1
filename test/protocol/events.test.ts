import t from 'tap'
import { example } from '../fixtures/helpers'
import { checkInvalid, type InvalidCase } from '../fixtures/problem-table'
import { formatProblems, validateEvent } from '../../lib/protocol'

/** The documented session of an inbound call, from the service's own example. */
const session = example('event-session_start').session

function event (type: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { type, session, ...fields }
}

function withSession (fields: Record<string, unknown>): Record<string, unknown> {
  return { type: 'session_start', session: { ...session, ...fields } }
}

function without (value: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...value }
  delete copy[key]
  return copy
}

const invalid: InvalidCase[] = [
  { name: 'body is null', value: null, path: '', message: /must be a JSON object/ },
  { name: 'body is an array', value: [event('session_start')], path: '', message: /must be a JSON object/ },
  { name: 'body is a string', value: JSON.stringify(event('session_start')), path: '', message: /must be a JSON object/ },
  { name: 'body is a number', value: 42, path: '', message: /must be a JSON object/ },
  { name: 'type is missing', value: { session }, path: '/type', message: /is required/ },
  { name: 'type is empty', value: event(''), path: '/type', message: /must be a snake_case event name/ },
  // XState's own event names must not be reachable from the wire.
  { name: 'type is an XState internal event', value: event('xstate.done.actor.llm'), path: '/type', message: /must be a snake_case event name/ },
  { name: 'type is the XState wildcard', value: event('*'), path: '/type', message: /must be a snake_case event name/ },
  { name: 'type is __proto__', value: event('__proto__'), path: '/type', message: /must be a snake_case event name/ },
  { name: 'type is not a string', value: { type: 5, session }, path: '/type', message: /must be a string/ },
  { name: 'session is missing', value: { type: 'session_start' }, path: '/session', message: /is required/ },
  { name: 'session of an unknown event is missing', value: { type: 'call_parked' }, path: '/session', message: /is required/ },
  { name: 'session is not an object', value: { type: 'session_start', session: session.id }, path: '/session', message: /must be an object/ },
  { name: 'session.id is missing', value: { type: 'session_start', session: without(session, 'id') }, path: '/session/id', message: /is required/ },
  { name: 'session.id is empty', value: withSession({ id: '' }), path: '/session/id', message: /must not be empty/ },
  { name: 'session.id is not a string', value: withSession({ id: 42 }), path: '/session/id', message: /must be a string/ },
  { name: 'session.id of an unknown event is empty', value: { type: 'call_parked', session: { id: '' } }, path: '/session/id', message: /must not be empty/ },
  { name: 'direction is neither inbound nor outbound', value: withSession({ direction: 'internal' }), path: '/session/direction', message: /must be one of "inbound", "outbound"/ },
  { name: 'account_id is not a string', value: withSession({ account_id: 123 }), path: '/session/account_id', message: /must be a string/ },
  { name: 'phone_number is a number', value: withSession({ phone_number: 1234567890 }), path: '/session/phone_number', message: /must be a string/ },
  { name: 'from_phone_number is a number', value: withSession({ from_phone_number: 9876543210 }), path: '/session/from_phone_number', message: /must be a string/ },
  { name: 'to_phone_number is null', value: withSession({ to_phone_number: null }), path: '/session/to_phone_number', message: /must be a string/ },
  { name: 'user_speak without text', value: event('user_speak'), path: '/text', message: /is required/ },
  { name: 'user_speak with the retired transcript instead of text', value: event('user_speak', { transcript: 'Hello' }), path: '/text', message: /is required/ },
  { name: 'user_speak text is a number (no coercion)', value: event('user_speak', { text: 5 }), path: '/text', message: /must be a string/ },
  { name: 'user_speak barged_in is "true" (no coercion)', value: event('user_speak', { text: 'Wait', barged_in: 'true' }), path: '/barged_in', message: /must be a boolean/ },
  { name: 'dtmf_received without digit', value: event('dtmf_received'), path: '/digit', message: /is required/ },
  { name: 'dtmf_received digit is two keys', value: event('dtmf_received', { digit: '12' }), path: '/digit', message: /exactly one of 0-9, \* or #/ },
  { name: 'dtmf_received digit is empty', value: event('dtmf_received', { digit: '' }), path: '/digit', message: /exactly one of 0-9, \* or #/ },
  { name: 'dtmf_received digit is a letter', value: event('dtmf_received', { digit: 'a' }), path: '/digit', message: /exactly one of 0-9, \* or #/ },
  { name: 'dtmf_received digit is followed by a newline', value: event('dtmf_received', { digit: '1\n' }), path: '/digit', message: /exactly one of 0-9, \* or #/ },
  { name: 'dtmf_received digit is a number', value: event('dtmf_received', { digit: 1 }), path: '/digit', message: /must be a string/ },
  { name: 'assistant_speak duration_ms is a string', value: event('assistant_speak', { duration_ms: '2000' }), path: '/duration_ms', message: /must be a number/ },
  { name: 'assistant_speak duration_ms is negative', value: event('assistant_speak', { duration_ms: -1 }), path: '/duration_ms', message: /must be >= 0/ },
  { name: 'assistant_speak speech_started_at is a string', value: event('assistant_speak', { speech_started_at: '2024-01-01' }), path: '/speech_started_at', message: /must be a number/ },
  { name: 'assistant_speak text is not a string', value: event('assistant_speak', { text: ['Hello'] }), path: '/text', message: /must be a string/ },
  { name: 'assistant_speak ssml is not a string', value: event('assistant_speak', { ssml: {} }), path: '/ssml', message: /must be a string/ },
  { name: 'sms_failed reason is a number', value: event('sms_failed', { reason: 404 }), path: '/reason', message: /must be a string/ }
]

checkInvalid(t, validateEvent, invalid)

const valid: Array<{ name: string, value: Record<string, unknown> }> = [
  { name: 'session_start with every session field', value: event('session_start') },
  { name: 'a session with only an id', value: { type: 'session_end', session: { id: 'a' } } },
  { name: 'phone numbers with a leading +', value: withSession({ phone_number: '+4921155660', from_phone_number: '+4915790000687', to_phone_number: '+4921155660' }) },
  { name: 'phone numbers without a leading +', value: withSession({ phone_number: '4921155660', from_phone_number: '4915790000687', to_phone_number: '4921155660' }) },
  { name: 'a withheld caller id', value: withSession({ from_phone_number: 'anonymous' }) },
  { name: 'an outbound call', value: withSession({ direction: 'outbound' }) },
  { name: 'undocumented properties on the event', value: event('user_speak', { text: 'Hi', confidence: 0.93, language: 'de-DE' }) },
  { name: 'undocumented properties on the session', value: withSession({ flow_id: 'flow-7', tags: ['vip'] }) },
  { name: 'user_speak with barged_in absent', value: event('user_speak', { text: 'Hello' }) },
  { name: 'user_speak with barged_in false', value: event('user_speak', { text: 'Hello', barged_in: false }) },
  { name: 'user_speak with an empty transcript', value: event('user_speak', { text: '' }) },
  { name: 'dtmf_received *', value: event('dtmf_received', { digit: '*' }) },
  { name: 'dtmf_received #', value: event('dtmf_received', { digit: '#' }) },
  { name: 'dtmf_received 0', value: event('dtmf_received', { digit: '0' }) },
  { name: 'assistant_speak with none of its optional fields', value: event('assistant_speak') },
  { name: 'sms_failed without a reason field', value: event('sms_failed', { error: 'unreachable' }) }
]

for (const { name, value } of valid) {
  t.test(`passes: ${name}`, async (t) => {
    t.same(validateEvent(value), { ok: true, value })
  })
}

t.test('an unknown event type with only type and session.id passes unchanged', async (t) => {
  const value = { type: 'call_parked', session: { id: 'a' }, parked_at: 1700000000000, slot: { number: 3 } }
  const result = validateEvent(value)
  t.equal(result.ok, true)
  if (!result.ok) return
  t.equal(result.value, value, 'the validator returns the very same object')
  t.same(result.value, { type: 'call_parked', session: { id: 'a' }, parked_at: 1700000000000, slot: { number: 3 } }, 'nothing added, removed or coerced')
})

t.test('a documented event passes as the very same object', async (t) => {
  const value = event('user_speak', { text: 'Hello', barged_in: true })
  const result = validateEvent(value)
  t.equal(result.ok && result.value, value)
})

t.test('problems read well', async (t) => {
  const cases: Array<[unknown, string]> = [
    [event('dtmf_received', { digit: '12' }), 'body/digit must be exactly one of 0-9, * or #'],
    [null, 'body must be a JSON object'],
    [{ type: 'user_speak', session: { id: '' } }, 'body/text is required, body/session/id must not be empty'],
    [withSession({ direction: 'sideways' }), 'body/session/direction must be one of "inbound", "outbound"'],
    [event('user_speak', { text: 5, barged_in: 'yes' }), 'body/text must be a string, body/barged_in must be a boolean']
  ]
  for (const [value, expected] of cases) {
    const result = validateEvent(value)
    t.equal(result.ok ? '' : formatProblems(result.problems, 'body'), expected)
  }
})

t.test('a missing field is reported once, not once per reason', async (t) => {
  const result = validateEvent({ session })
  t.same(result, { ok: false, problems: [{ path: '/type', message: 'is required' }] })
})

t.test('at most five problems are reported', async (t) => {
  const result = validateEvent({
    type: 'assistant_speak',
    session: { id: 1, account_id: 2, phone_number: 3, direction: 4, from_phone_number: 5, to_phone_number: 6 },
    text: 7,
    ssml: 8
  })
  t.equal(result.ok, false)
  if (result.ok) return
  t.same(result.problems.map((problem) => problem.path), [
    '/session/id', '/session/account_id', '/session/phone_number', '/session/direction', '/session/from_phone_number'
  ])
})
