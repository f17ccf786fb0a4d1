import t from 'tap'
import { speak } from '../../lib'
import { runScript, type Move } from '../../lib/testing'
import { echoFlow, menuFlow } from '../fixtures/simulator-flows'

t.test('a script plays every kind of move, in order, and returns the turns', async (t) => {
  const script: Move[] = [
    { start: 'outbound' }, { say: 'hi' }, { bargeIn: 'wait' }, { press: '7' }, 'silence', 'speechStarted',
    'speechEnded', { wait: 100 }, { send: { type: 'sms_failed', reason: 'x' } }, 'transferFailed', 'hangUp'
  ]
  const turns = await runScript(echoFlow, script)
  t.same(turns.map((turn) => turn.move), [
    'start', 'say', 'bargeIn', 'press', 'silence', 'speechStarted', 'speechEnded', 'wait', 'send', 'transferFailed', 'hangUp'
  ])
  t.same(turns[0].actions, [speak('start outbound from +1234567890')])
  t.same(turns[7], { move: 'wait', ms: 100, actions: [], state: {}, at: 100 }, 'the echo flow has no states: its value is {}')
  t.same(turns[9].actions, [speak('start outbound from +1234567890')])
})

t.test("'start' alone starts an inbound call", async (t) => {
  const turns = await runScript(menuFlow, ['start', { wait: 10_000 }])
  t.equal(turns[0].event?.session.direction, 'inbound')
  t.same(turns[1].state, 'gone', 'both delays fired within one wait')
})

t.test('the call is closed even when the script fails; an unknown move is refused', async (t) => {
  await t.rejects(runScript(echoFlow, ['start', { dance: true } as never]), /unknown move \{"dance":true\}/)
  await t.rejects(runScript(echoFlow, [{ say: 'too early' }]), /has not started/)
})
