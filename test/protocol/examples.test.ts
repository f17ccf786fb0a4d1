import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { actionSchemas, AiFlowReplySchema, eventSchemas, validateAction, validateEvent } from '../../lib/protocol'

// The service's documented payloads, copied into the repository (see the README beside them).
const dir = path.join(__dirname, '..', 'fixtures', 'protocol-examples')

interface Example { name: string, payload: unknown }

const examples: Example[] = fs.readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, payload: JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) }))

const events = examples.filter((example) => example.name.startsWith('event-'))
const actions = examples.filter((example) => example.name.startsWith('action-'))
const replies = examples.filter((example) => example.name === 'reply-array.json')

function typeOf (payload: unknown): string {
  return (payload as { type: string }).type
}

t.test('the examples directory holds payloads, each of a known kind', async (t) => {
  t.ok(examples.length > 0, `found ${examples.length} examples in ${dir}`)
  t.equal(events.length + actions.length + replies.length, examples.length, 'every file is an event, an action or the reply array')
  t.equal(replies.length, 1)
})

for (const { name, payload } of events) {
  t.test(name, async (t) => {
    t.ok(Object.hasOwn(eventSchemas, typeOf(payload)), `${typeOf(payload)} is a documented event type`)
    t.same(validateEvent(payload), { ok: true, value: payload })
  })
}

for (const { name, payload } of actions) {
  t.test(name, async (t) => {
    t.same(validateAction(payload), { ok: true, value: payload })
  })
}

for (const { name, payload } of replies) {
  t.test(name, async (t) => {
    t.ok(Array.isArray(payload), 'a reply with several actions is an array')
    const list = payload as unknown[]
    t.ok(list.length > 1)
    for (const action of list) t.same(validateAction(action), { ok: true, value: action })
    t.ok(Value.Check(AiFlowReplySchema, payload), 'the whole array is a valid reply')
  })
}

t.test('sms_failed, which the documentation shows no example of', async (t) => {
  const event = {
    type: 'sms_failed',
    reason: 'invalid phone number',
    session: { id: '550e8400-e29b-41d4-a716-446655440000', account_id: 'account-123', phone_number: '+1234567890' }
  }
  t.same(validateEvent(event), { ok: true, value: event })
})

t.test('every event type but sms_failed, and every action type, has an example', async (t) => {
  const eventTypes = new Set(events.map((example) => typeOf(example.payload)))
  const actionTypes = new Set([...actions, ...replies].flatMap((example) => [example.payload].flat().map(typeOf)))
  t.same([...eventTypes].sort(), Object.keys(eventSchemas).filter((type) => type !== 'sms_failed').sort())
  t.same([...actionTypes].sort(), Object.keys(actionSchemas).sort())
})
