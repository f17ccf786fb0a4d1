import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
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

t.test('calls a.b, a_b and a:b are recorded in three files, not mixed into one', async (t) => {
  const dir = t.testdir()
  const { app } = await buildApp({ flow: menuFlow, record: { dir } })
  const ids = ['a.b', 'a_b', 'a:b']
  for (const id of ids) await post(app, event('session_start', id))
  await app.close()
  const files = readdirSync(dir)
  t.equal(files.length, 3)
  t.ok(files.includes('a_b.jsonl'), 'the plain id keeps its name')
  const recorded = files.map((file) => parseRecording(readFileSync(path.join(dir, file), 'utf8')).map((call) => call.sessionId))
  t.same(recorded.flat().sort(), [...ids].sort(), 'each file holds one call')
  t.ok(recorded.every((calls) => calls.length === 1))
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

t.test('a record stream that fails no longer touches the call, nor ends the process', async (t) => {
  const failing = new Writable({ write (_chunk, _encoding, done) { done(new Error('disk full')) } })
  const throwing = { write () { throw new Error('closed') } }
  for (const [name, stream] of [['emits error', failing], ['throws', throwing]] as const) {
    const { app, logs } = await buildApp({ flow: menuFlow, record: { stream } })
    t.same(await post(app, event('session_start', `failing-${name}`)), { status: 200, body: { type: 'speak', session_id: `failing-${name}`, text: 'Press 1 for sales, 9 to hang up.' } }, `${name}: the reply`)
    t.equal((await post(app, event('dtmf_received', `failing-${name}`, { digit: '9' }))).status, 200, `${name}: the next one`)
    await app.close()
    const failed = logs.filter((line) => line.msg === 'writing the call recording failed')
    t.ok(failed.length >= 1, `${name}: logged`)
    t.ok(failed.every((line) => line.level === 40), `${name}: as a warning`)
    t.equal(logs.filter((line) => line.level >= 50).length, 0, `${name}: nothing failed`)
  }
  t.equal(failing.listenerCount('error'), 0, 'the stream is given back as it came')
})
