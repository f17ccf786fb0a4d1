import t from 'tap'
import { hangup, speak, transfer, type SessionStore } from '../../lib'
import { simulateCall } from '../../lib/testing'
import { echoFlow, menuFlow, slowFlow } from '../fixtures/simulator-flows'

t.test('every caller move sends its protocol event and resolves with the reply, session_id left out', async (t) => {
  const call = simulateCall(echoFlow)
  t.teardown(() => call.close())
  t.same(await call.start(), [speak('start inbound from +9876543210')])
  t.same(await call.say('hello'), [speak('say hello')])
  t.same(await call.bargeIn('stop'), [speak('barge stop')])
  t.same(await call.press('4'), [speak('key 4')])
  t.same(await call.silence(), [speak('silence')])
  t.same(await call.speechEnded(), [speak('ended')])
  t.same(await call.speechStarted(), [speak('started')], 'user_speech_started is answered at once, as over the WebSocket')
  t.same(await call.send({ type: 'sms_failed', reason: 'blocked' }), [speak('sms blocked')], 'and its actions do not come again')
  t.same(call.turns.map((turn) => turn.event?.type), [
    'session_start', 'user_speak', 'user_speak', 'dtmf_received', 'user_input_timeout', 'assistant_speech_ended', 'user_speech_started', 'sms_failed'
  ])
  t.same(call.turns[2].event, { type: 'user_speak', text: 'stop', barged_in: true, session: call.session })
  const own = { id: call.sessionId, direction: 'outbound' as const, from_phone_number: '+4930111' }
  t.same(await call.send({ type: 'session_start', session: own }), [speak('start outbound from +4930111')], 'an event with its own session is sent as given')
  t.same(await call.hangUp(), [])
  t.ok(call.ended)
  t.equal(call.turns.at(-1)?.event?.type, 'session_end')
})

t.test('the session looks like the service\'s; id, direction and fields can be chosen', async (t) => {
  const call = simulateCall(echoFlow, { sessionId: 'call-42', session: { from_phone_number: '+4915112345678', account_id: 'acme' } })
  t.teardown(() => call.close())
  t.equal(call.session, undefined, 'no session before the call starts')
  t.same(await call.start('outbound'), [speak('start outbound from +4915112345678')])
  t.same(call.session, {
    id: 'call-42', account_id: 'acme', phone_number: '+1234567890', direction: 'outbound', from_phone_number: '+4915112345678', to_phone_number: '+9876543210'
  })
  t.equal(call.sessionId, 'call-42')
  t.match(simulateCall(echoFlow).sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID by default')
  t.equal(simulateCall(echoFlow, { session: { id: 'from-session' } }).sessionId, 'from-session')
})

t.test('press sends one dtmf_received per key and refuses anything but keys', async (t) => {
  const call = simulateCall(echoFlow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.press('12*#'), [speak('key 1'), speak('key 2'), speak('key *'), speak('key #')])
  t.equal(call.turns.filter((turn) => turn.move === 'press').length, 4)
  await t.rejects(call.press('1a'), /keys must be 0-9, \* or #, got "1a"/)
  await t.rejects(call.press(''), /keys must be/)
})

t.test('moves out of order are refused with a clear word', async (t) => {
  const call = simulateCall(echoFlow)
  t.teardown(() => call.close())
  await t.rejects(call.say('hello?'), /the call has not started: call start\(\) first/)
  await t.rejects(call.wait(10), /has not started/)
  await t.rejects(call.send({ type: 'user_speak', text: 'x' }), /has not started/)
  await call.start()
  await t.rejects(call.start(), /already started; for a failed transfer use transferFailed\(\)/)
  await t.rejects(call.send({ type: 'dtmf_received', digit: 'x' }), /event\/digit must be exactly one of 0-9/)
  await call.hangUp()
  await t.rejects(call.say('hello?'), /the call has ended/)
})

t.test('the state value after every move, and the turns of the whole call', async (t) => {
  const call = simulateCall(menuFlow)
  t.teardown(() => call.close())
  t.equal(call.state, undefined)
  await call.start()
  t.equal(call.state, 'asking')
  t.same(await call.press('1'), [transfer({ target_phone_number: '+4930123456', caller_id_name: 'Acme', caller_id_number: '+4930999888', timeout: 20 })])
  t.equal(call.state, 'transferring')
  t.same(await call.transferFailed(), [speak('Nobody answered.'), speak('Press 1 for sales, 9 to hang up.')])
  t.same(call.turns.map(({ move, state, at }) => ({ move, state, at })), [
    { move: 'start', state: 'asking', at: 0 },
    { move: 'press', state: 'transferring', at: 0 },
    { move: 'transferFailed', state: 'asking', at: 0 }
  ])
  t.equal(call.turns[2].event?.type, 'session_start', 'a failed transfer is session_start again')
  t.equal(call.turns[2].event?.session.id, call.sessionId)
})

t.test('when the flow hangs up, the call ends with a session_end, as the service ends it', async (t) => {
  const call = simulateCall(menuFlow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.press('9'), [speak('Goodbye.'), hangup()])
  t.ok(call.ended)
  t.same(call.turns.slice(-2).map((turn) => [turn.move, turn.event?.type]), [['press', 'dtmf_received'], ['ended', 'session_end']])
  t.equal(call.state, undefined, 'the call is gone from the registry')
})

t.test('the flow\'s delays run on a simulated clock moved by wait()', async (t) => {
  const call = simulateCall(menuFlow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.wait(4999), [], 'nothing before the delay is due')
  t.same(await call.wait(1), [speak('Press 1 for sales, 9 to hang up.')], 'the reprompt, emitted between events')
  t.same(call.turns.at(-1), { move: 'wait', ms: 1, actions: [speak('Press 1 for sales, 9 to hang up.')], state: 'asking', at: 5000 })
  t.same(await call.wait(5000), [speak('No answer, goodbye.'), hangup()])
  t.equal(call.state, 'gone')
  t.notOk(call.ended, 'over the webhook the hangup waits for the next event')
  t.same(await call.say('hello?'), [speak('Press 1 for sales, 9 to hang up.'), speak('No answer, goodbye.'), hangup()],
    'the actions emitted between events lead the next reply')
  t.ok(call.ended)
})

t.test('a flow that fails gives the fallback; the error is kept', async (t) => {
  const call = simulateCall(menuFlow, { fallback: [speak('Sorry.')] })
  t.teardown(() => call.close())
  await call.start()
  t.same(call.errors, [])
  t.same(await call.say('break'), [speak('Sorry.')])
  t.equal(call.errors.length, 1)
  t.match(call.errors[0], { code: 'FST_AIFLOW_FLOW_ERROR', message: /the flow broke/ })
  t.same(await call.say('hello?'), [], 'a failed call gets nothing more')
})

t.test('the reply waits for the promise work an event started, as in the plugin', async (t) => {
  const call = simulateCall(slowFlow)
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('hi'), [speak('You said hi.')])
  t.equal(call.state, 'listening')
})

t.test('the plugin\'s options apply: a store sees the call, a logger gets the lines', async (t) => {
  const saved: string[] = []
  const records = new Map<string, any>()
  const store: SessionStore = {
    get: async (id) => records.get(id),
    set: async (id, record) => { saved.push(id); records.set(id, JSON.parse(JSON.stringify(record))) },
    delete: async (id) => { records.delete(id) }
  }
  const lines: string[] = []
  const log = {
    child: () => log,
    debug: (_: object, msg?: string) => { lines.push(`debug ${msg}`) },
    info: (_: object, msg?: string) => { lines.push(`info ${msg}`) },
    warn: (_: object, msg?: string) => { lines.push(`warn ${msg}`) },
    error: (_: object, msg?: string) => { lines.push(`error ${msg}`) }
  }
  const call = simulateCall(menuFlow, { store, log, sessionId: 'stored' })
  t.teardown(() => call.close())
  await call.start()
  await call.say('break')
  t.ok(saved.includes('stored'), 'the call was saved in the given store')
  t.match(lines, ['error flow failed; the caller gets the fallback reply'])
  t.ok(call.ended, 'the default fallback hangs up, so the service ended the call')
  t.equal(records.size, 0, 'and the call left the store')
  t.throws(() => simulateCall({} as never), { code: 'FST_AIFLOW_INVALID_OPTION' }, 'the flow is checked as the plugin checks it')
})

t.test('close() is safe to call twice and ends the call', async (t) => {
  const call = simulateCall(echoFlow)
  await call.start()
  await call.close()
  await call.close()
  t.ok(call.ended)
  await t.rejects(call.say('x'), /ended/)
})
