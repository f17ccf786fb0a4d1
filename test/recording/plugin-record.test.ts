import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow, MemoryStore, parseRecording } from '../../lib'
import { SessionRegistry } from '../../lib/sessions'
import { buildApp, event, post } from '../fixtures/helpers'
import { menuFlow } from '../fixtures/simulator-flows'

t.test('the record option writes every call, event by event, with replies and states', async (t) => {
  const dir = t.testdir()
  const { app } = await buildApp({ flow: menuFlow, record: { dir } })
  const caller = { from_phone_number: '+4915112345678' }
  await post(app, event('session_start', 'rec-a', { session: { id: 'rec-a', ...caller } }))
  await post(app, event('dtmf_received', 'rec-a', { digit: '9' }))
  await post(app, event('session_end', 'rec-a'))
  await post(app, event('session_start', 'rec-b'))
  await app.close()
  t.same(readdirSync(dir).sort(), ['rec-a.jsonl', 'rec-b.jsonl'])
  const [call] = parseRecording(readFileSync(path.join(dir, 'rec-a.jsonl'), 'utf8'))
  t.equal(call.sessionId, 'rec-a')
  t.same(call.turns.map((turn) => [turn.event.type, turn.reply.map((action) => action.type), turn.state]), [
    ['session_start', ['speak'], 'asking'],
    ['dtmf_received', ['speak', 'hangup'], 'done'],
    ['session_end', [], undefined]
  ])
  t.equal(call.turns[0].event.session.from_phone_number, '+***********78', 'phone numbers are masked by default')
  t.equal(call.turns[0].redacted, true)
  t.ok(call.turns.every((turn, i) => typeof turn.at === 'number' && (i === 0 || turn.at >= call.turns[i - 1].at)), 'arrival times in order')
})

t.test('to a stream, numbers kept when told so', async (t) => {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => { text += String(chunk) })
  const { app } = await buildApp({ flow: menuFlow, record: { stream, redactPhoneNumbers: false } })
  await post(app, event('session_start', 'rec-c', { session: { id: 'rec-c', from_phone_number: '+4915112345678' } }))
  await app.close()
  const [call] = parseRecording(text)
  t.equal(call.turns[0].event.session.from_phone_number, '+4915112345678')
  t.equal(call.turns[0].redacted, undefined)
  t.same(call.turns[0].reply, [{ type: 'speak', session_id: 'rec-c', text: 'Press 1 for sales, 9 to hang up.' }])
})

const wrong: Array<[string, unknown, RegExp]> = [
  ['a string', './recordings', /record must be an object with either dir \(a directory\) or stream \(a writable stream\), got "\.\/recordings"/],
  ['null', null, /record must be an object with either dir/],
  ['an empty dir', { dir: '' }, /record must be an object with either dir/],
  ['both', { dir: 'x', stream: new PassThrough() }, /record must be an object with either dir/],
  ['a stream without write', { stream: {} }, /record must be an object with either dir/],
  ['a string redactPhoneNumbers', { dir: 'x', redactPhoneNumbers: 'no' }, /record\.redactPhoneNumbers must be a boolean, got "no"/]
]

t.test('a wrong record option throws at register', async (t) => {
  for (const [name, record, message] of wrong) {
    const app = Fastify()
    await t.rejects(async () => {
      await app.register(fastifyAiFlow, { flow: menuFlow, record: record as never })
      await app.ready()
    }, { code: 'FST_AIFLOW_INVALID_OPTION', message }, name)
    await app.close()
  }
})

t.test('an observer that throws is logged; the reply goes out all the same', async (t) => {
  const errors: Array<{ obj: any, msg?: string }> = []
  const log = { child: () => log, debug () {}, info () {}, warn () {}, error (obj: object, msg?: string) { errors.push({ obj, msg }) } }
  const registry = new SessionRegistry({
    flow: menuFlow,
    flowVersion: '1',
    flows: {},
    store: new MemoryStore(),
    replyTimeout: 1000,
    sessionTtl: 60_000,
    maxSessions: 10,
    fallback: [],
    log,
    observe: () => { throw new Error('observer broke') }
  })
  t.teardown(() => registry.close())
  const reply = await registry.dispatch(event('session_start', 'obs') as never, { log })
  t.same(reply, [{ type: 'speak', session_id: 'obs', text: 'Press 1 for sales, 9 to hang up.' }])
  t.match(errors, [{ obj: { err: { message: 'observer broke' } }, msg: 'the observe option threw; the reply is sent all the same' }])
})
