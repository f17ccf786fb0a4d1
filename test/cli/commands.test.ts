import t from 'tap'
import { speak } from '../../lib'
import { simulateCall } from '../../lib/testing'
import { HELP, parseCommand, parseDuration, playCommand, type Command } from '../../lib/cli/commands'
import { echoFlow } from '../fixtures/simulator-flows'

t.test('a typed line is speech, key presses or a command', async (t) => {
  const cases: Array<[string, Command]> = [
    ['I want to book a table', { kind: 'say', text: 'I want to book a table' }],
    ['  hello  ', { kind: 'say', text: 'hello' }],
    ['', { kind: 'nothing' }],
    ['   ', { kind: 'nothing' }],
    ['1', { kind: 'press', keys: '1' }],
    ['0815#', { kind: 'press', keys: '0815#' }],
    ['/say 1234', { kind: 'say', text: '1234' }],
    ['/barge stop talking', { kind: 'bargeIn', text: 'stop talking' }],
    ['/b stop', { kind: 'bargeIn', text: 'stop' }],
    ['/silence', { kind: 'silence' }],
    ['/s', { kind: 'silence' }],
    ['/started', { kind: 'speechStarted' }],
    ['/ended', { kind: 'speechEnded' }],
    ['/e', { kind: 'speechEnded' }],
    ['/back', { kind: 'transferFailed' }],
    ['/hangup', { kind: 'hangUp' }],
    ['/h', { kind: 'hangUp' }],
    ['/bye', { kind: 'hangUp' }],
    ['/state', { kind: 'state' }],
    ['/help', { kind: 'help' }],
    ['/?', { kind: 'help' }],
    ['/wait 5s', { kind: 'wait', ms: 5000 }],
    ['/w 250ms', { kind: 'wait', ms: 250 }],
    ['/event {"type":"sms_failed","reason":"blocked"}', { kind: 'send', event: { type: 'sms_failed', reason: 'blocked' } }],
    ['/say', { kind: 'error', message: '/say takes what the caller says' }],
    ['/barge   ', { kind: 'error', message: '/barge takes what the caller says' }],
    ['/wait soon', { kind: 'error', message: '/wait takes a time: 5s, 500ms, 2m' }],
    ['/event {"no":"type"}', { kind: 'error', message: '/event takes a JSON object with a "type"' }],
    ['/event not json', { kind: 'error', message: '/event takes a JSON object with a "type"' }],
    ['/event null', { kind: 'error', message: '/event takes a JSON object with a "type"' }],
    ['/dance', { kind: 'error', message: '/dance is not a command; /help lists them' }]
  ]
  for (const [line, command] of cases) t.same(parseCommand(line), command, JSON.stringify(line))
})

t.test('durations: ms, s, m, bare seconds', async (t) => {
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('1.5s'), 1500)
  t.equal(parseDuration('2m'), 120_000)
  t.equal(parseDuration('3'), 3000)
  t.equal(parseDuration(' 10 s '), 10_000)
  t.equal(parseDuration('-1s'), undefined)
  t.equal(parseDuration(''), undefined)
})

t.test('every command that is a move plays on the call', async (t) => {
  const call = simulateCall(echoFlow)
  t.teardown(() => call.close())
  await call.start()
  const moves: Command[] = [
    { kind: 'say', text: 'a' }, { kind: 'bargeIn', text: 'b' }, { kind: 'press', keys: '5' }, { kind: 'silence' },
    { kind: 'speechStarted' }, { kind: 'speechEnded' }, { kind: 'wait', ms: 10 }, { kind: 'send', event: { type: 'sms_failed' } },
    { kind: 'transferFailed' }, { kind: 'help' }, { kind: 'hangUp' }
  ]
  for (const command of moves) await playCommand(call, command)
  t.same(call.turns.map((turn) => turn.move), [
    'start', 'say', 'bargeIn', 'press', 'silence', 'speechStarted', 'speechEnded', 'wait', 'send', 'transferFailed', 'hangUp'
  ])
  t.same(call.turns[1].actions, [speak('say a')])
  t.ok(HELP.some((line) => line.includes('/silence')))
})
