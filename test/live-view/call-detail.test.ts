import t from 'tap'
import type { SessionRecord } from '../../lib'
import { flow } from '../../examples/ivr-menu'
import { toMermaid } from '../../lib/tools/mermaid'
import { CONTEXT_CHARACTERS, callDetail, timersOf } from '../../lib/live-view/call-detail'

const value = { main: { listening: { noInput: 'none', noMatch: 'none' } } }
const record = (fields: Record<string, unknown> = {}, context: unknown = {}): SessionRecord => ({
  version: '1',
  snapshot: { status: 'active', value, context },
  pending: [],
  session: { id: 'c1', direction: 'inbound', from_phone_number: '4915790000123' },
  failed: false,
  revision: 1,
  startedAt: 10,
  updatedAt: 20,
  ...fields
} as SessionRecord)

const timer = { id: 'x.after.8000', source: 'pin', target: 'pin', event: { type: 'xstate.after.interDigit.pin.collecting' }, dueAt: 9000 }

t.test("a record's pending timers, soonest first", async (t) => {
  t.same(timersOf(record()), [], 'a record written before timers were kept has none')
  const later = { ...timer, id: 'later', source: '', target: '', event: { type: 'xstate.after.1000.pinCheck.goodbye' }, dueAt: 12_000 }
  t.same(timersOf(record({ timers: [later, timer] })), [
    { id: timer.id, event: timer.event.type, actor: 'pin', dueAt: 9000 },
    { id: 'later', event: later.event.type, actor: '', dueAt: 12_000 }
  ])
})

t.test('the detail: the call, its context with numbers masked, its transcript and timers, its diagram highlighted', async (t) => {
  const context = { session: { id: 'c1', from_phone_number: '4915790000123', phone_number: 4921155660 }, lastWords: '<b>hi</b>', numbers: ['x'] }
  const transcript = [{ at: 15, from: 'caller' as const, kind: 'said', text: 'hi' }]
  const detail = callDetail('c1', record({ timers: [timer] }, context), transcript, flow)
  t.match(detail.call, { id: 'c1', party: '•••123', states: ['main.listening.noInput.none', 'main.listening.noMatch.none'] })
  t.same(JSON.parse(detail.context), {
    session: { id: 'c1', from_phone_number: '•••123', phone_number: '•••660' },
    lastWords: '<b>hi</b>',
    numbers: ['x']
  })
  t.equal(detail.transcript, transcript)
  t.same(detail.timers.map((one) => one.id), [timer.id])
  t.equal(detail.mermaid, toMermaid(flow, { highlight: value }))
})

t.test('values that look like phone numbers are masked, whatever their key; counts and dates under a key with "number" are not', async (t) => {
  const context = {
    numberTries: 0,
    number: 3,
    callback: '+49 30 1234-567',
    patient: { phone: '(030) 555 0199' },
    phoneNumber: 4930123456,
    phoneDigits: 42,
    startedAt: 1796617935536,
    day: '2026-12-07',
    pin: '4711',
    order: '12',
    note: 'call +4930123456 back'
  }
  t.same(JSON.parse(callDetail('c1', record({}, context), [], flow).context), {
    numberTries: 0,
    number: 3,
    callback: '•••567',
    patient: { phone: '•••199' },
    phoneNumber: '•••456',
    phoneDigits: 42,
    startedAt: 1796617935536,
    day: '2026-12-07',
    pin: '4711',
    order: '12',
    note: 'call +4930123456 back'
  })
})

t.test('a long context is cut; a failed call has none', async (t) => {
  const long = callDetail('c1', record({}, { text: 'a'.repeat(CONTEXT_CHARACTERS) }), [], flow)
  const json = JSON.stringify({ text: 'a'.repeat(CONTEXT_CHARACTERS) }, null, 2)
  t.equal(long.context, `${json.slice(0, CONTEXT_CHARACTERS)}\n… (${json.length - CONTEXT_CHARACTERS} more characters)`)
  const failed = callDetail('c1', record({ failed: true, snapshot: undefined }), [], flow)
  t.equal(failed.context, 'none')
  t.match(failed.call, { status: 'failed', states: [] })
  t.equal(failed.mermaid, toMermaid(flow))
})
