import t from 'tap'
import { WebSocketServer } from 'ws'
import type { AnyStateMachine } from 'xstate'
import { speak } from '../../lib'
import { runScript, simulateCall } from '../../lib/testing'
import { SETTLE, delivered, listening, type Teardown } from '../fixtures/kit-servers'
import { echoFlow, gatedThinkingFlow, menuFlow } from '../fixtures/simulator-flows'

async function server (t: Teardown, flow: AnyStateMachine = echoFlow, token?: string) {
  const { app, base } = await listening(t, { flow, token, websocket: true })
  return { app, url: `ws://${base}/ws` }
}

t.test('drives a running server through its WebSocket, as the service does', async (t) => {
  const { url } = await server(t, echoFlow, 'secret')
  const call = simulateCall(url, { token: 'secret', settle: SETTLE })
  t.same(await call.start(), [speak('start inbound from +9876543210')])
  t.same(await call.speechStarted(), [speak('started')], 'user_speech_started is answered over the WebSocket')
  t.same(await call.press('12'), [speak('key 1'), speak('key 2')])
  t.equal(call.state, undefined, 'the state of a server cannot be seen')
  t.same(await call.hangUp(), [])
  t.ok(call.ended)
  await call.close()
})

t.test('what the server pushes later comes with wait(), as it would reach the phone', async (t) => {
  const { flow, answer } = gatedThinkingFlow()
  const { app, url } = await server(t, flow)
  const call = simulateCall(url, { settle: SETTLE })
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('what time is it?'), [speak('Let me think.')], 'no deadline: the answer is not waited for')
  t.same(await call.wait(0), [], 'nothing came while the flow was thinking')
  await answer('Here you are.')
  await delivered(app)
  const before = performance.now()
  t.same(await call.wait(30), [speak('Here you are.')])
  // Node's timers may fire up to a millisecond early by the wall clock.
  t.ok(performance.now() - before >= 29, 'wait() let the time pass for real')
  t.same(call.turns.at(-1)?.move, 'wait')
})

t.test('what arrives between two moves leads the next answer', async (t) => {
  const { flow, answer } = gatedThinkingFlow()
  const { app, url } = await server(t, flow)
  const call = simulateCall(url, { settle: SETTLE })
  t.teardown(() => call.close())
  await call.start()
  await call.say('hello')
  await answer('Here you are.')
  await delivered(app)
  t.same(await call.say('again'), [speak('Here you are.'), speak('Let me think.')])
})

t.test('the same script gives the same replies over the WebSocket and in this process', async (t) => {
  const { url } = await server(t, menuFlow)
  const script = ['start', { press: '1' }, 'transferFailed', { press: '9' }] as const
  const direct = await runScript(menuFlow, script, { sessionId: 'same' })
  const remote = await runScript(url, script, { sessionId: 'same', settle: SETTLE })
  t.same(remote.map((turn) => turn.actions), direct.map((turn) => turn.actions))
  t.same(remote.map((turn) => turn.move), ['start', 'press', 'transferFailed', 'press', 'ended'])
})

t.test('a refused upgrade is an error of the first move', async (t) => {
  const { url } = await server(t, echoFlow, 'secret')
  const call = simulateCall(url, { token: 'wrong' })
  await t.rejects(call.start(), /^WebSocket ws:\/\/127\.0\.0\.1:\d+\/ws: Unexpected server response: 401$/)
  t.equal(call.errors.length, 1)
  await call.close()
  await call.close()
})

t.test('a frame that is not JSON is kept as an error; the call goes on', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  t.teardown(() => new Promise((resolve) => wss.close(resolve)))
  wss.on('connection', (socket) => socket.on('message', (data) => {
    const event = JSON.parse(String(data))
    socket.send('not json')
    socket.send(JSON.stringify({ type: 'hangup', session_id: event.session.id }))
  }))
  await new Promise((resolve) => wss.once('listening', resolve))
  const call = simulateCall(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`, { settle: SETTLE })
  t.teardown(() => call.close())
  t.same(await call.start(), [{ type: 'hangup' }])
  t.match(call.errors, [{ message: 'the server sent a frame that is not JSON: not json' }])
  t.ok(call.ended)
})
