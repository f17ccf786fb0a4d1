import t from 'tap'
import { setImmediate as tick } from 'node:timers/promises'
import { fromPromise } from 'xstate'
import type { FastifyInstance } from 'fastify'
import { listen, session } from '../fixtures/app'
import { assistant, deferred } from '../fixtures/flows'
import { connect } from '../fixtures/ws-client'

/** The assistant with a lookup that waits for the test. */
function gatedAssistant (answer = (question: string) => `About ${question}: yes.`): { flow: typeof assistant, open: () => void } {
  const gate = deferred()
  const flow = assistant.provide({
    actors: { lookup: fromPromise(async ({ input }: { input: { question: string } }) => { await gate.promise; return answer(input.question) }) }
  })
  return { flow, open: () => gate.resolve() }
}

async function pendingActions (app: FastifyInstance, id: string): Promise<number> {
  return (await app.aiFlow.getCall(id))?.pendingActions ?? -1
}

/** Waits until the flow's late answer has been taken by the call. */
async function settled (app: FastifyInstance, id: string): Promise<void> {
  while (await pendingActions(app, id) === 0) await tick()
}

t.test('when a socket closes, its calls stay: what they emit meanwhile leads the next frame on a new socket', async (t) => {
  const { flow, open } = gatedAssistant()
  const { app, logs } = await listen(t, { flow })
  const first = await connect(app)
  const call = session()
  first.send({ type: 'session_start', session: call })
  await first.next()
  first.send({ type: 'user_speak', session: call, text: 'parking' })
  t.match(await first.next(), { text: 'One moment.' })
  await first.close()
  const line = await logs.waitFor('WebSocket closed; its calls wait for their next event')
  t.equal(line.calls, 1)

  open()
  await settled(app, call.id)
  t.equal(await pendingActions(app, call.id), 1, 'the answer waits for the call')
  t.equal(app.aiFlow.liveCalls, 1)

  const second = await connect(app)
  second.send({ type: 'user_speak', session: call, text: 'repeat thanks' })
  t.match(await second.next(), [
    { type: 'speak', session_id: call.id, text: 'About parking: yes.' },
    { type: 'speak', session_id: call.id, text: 'thanks' }
  ], 'the waiting answer first, then the reply, in one frame')
  t.equal(await pendingActions(app, call.id), 0)
  await second.close()
})

t.test('a call whose event comes over HTTP leaves its socket: later actions wait for the next reply', async (t) => {
  const { flow, open } = gatedAssistant()
  const { app } = await listen(t, { flow, replyTimeout: 1 })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()

  const response = await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'user_speak', session: call, text: 'parking' } })
  t.match(response.json(), { type: 'speak', text: 'One moment.' }, 'the HTTP reply')
  open()
  await settled(app, call.id)
  t.equal(client.queued, 0, 'the socket got nothing')

  client.send({ type: 'user_speak', session: call, text: 'repeat and back' })
  t.match(await client.next(), [
    { text: 'About parking: yes.' },
    { text: 'and back' }
  ], 'back on the socket, what waited from HTTP goes first')
  await client.close()
})

t.test('a call that moves to another socket is served there only', async (t) => {
  const { flow, open } = gatedAssistant()
  const { app } = await listen(t, { flow })
  const first = await connect(app)
  const second = await connect(app)
  const call = session()
  first.send({ type: 'session_start', session: call })
  await first.next()
  second.send({ type: 'user_speak', session: call, text: 'parking' })
  t.match(await second.next(), { text: 'One moment.' })
  open()
  t.match(await second.next(), { text: 'About parking: yes.' })
  await first.close()
  second.send({ type: 'user_speak', session: call, text: 'repeat still here' })
  t.match(await second.next(), { text: 'still here' }, 'the old socket closing did not take the call away')
  t.equal(first.queued, 0)
  await second.close()
})

t.test('what a flow emits while its socket is closing waits for the call\'s next event', async (t) => {
  const { flow, open } = gatedAssistant()
  const { app } = await listen(t, { flow })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  client.send({ type: 'user_speak', session: call, text: 'parking' })
  await client.next()
  // The client starts the closing handshake and stops reading, so the server's side stays in CLOSING.
  client.socket.close()
  client.socket.pause()
  const [server] = app.websocketServer.clients
  while (server.readyState !== server.CLOSING) await tick()

  open()
  await settled(app, call.id)
  t.equal(await pendingActions(app, call.id), 1)
  client.socket.resume()
  await client.closed
})

t.test('a flow that fails after its reply sends the fallback over the socket', async (t) => {
  const { flow, open } = gatedAssistant(() => '')
  const { app, logs } = await listen(t, { flow })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'user_speak', session: call, text: 'parking' })
  t.match(await client.next(), { text: 'One moment.' })
  open()
  t.match(await client.next(), [{ type: 'speak', text: /^Sorry/ }, { type: 'hangup' }], 'an empty answer is an invalid action: the fallback follows')
  const line = await logs.waitFor('flow failed; the caller gets the fallback reply')
  t.equal(line.err?.code, 'FST_AIFLOW_INVALID_ACTION')
  await client.close()
})

t.test('a socket lets go of its calls that ended over HTTP, ended on another socket, or moved to another socket', async (t) => {
  const { app, logs } = await listen(t)
  const first = await connect(app)
  const [overHttp, elsewhere, moved] = [session(), session(), session()]
  for (const call of [overHttp, elsewhere, moved]) {
    first.send({ type: 'session_start', session: call })
    await first.next()
  }
  const second = await connect(app)
  t.equal((await app.inject({ method: 'POST', url: '/webhook', payload: { type: 'session_end', session: overHttp } })).statusCode, 204)
  second.send({ type: 'session_end', session: elsewhere })
  second.send({ type: 'user_speak', session: moved, text: 'repeat here now' })
  t.match(await second.next(), { session_id: moved.id, text: 'here now' })
  await logs.waitFor('call ended', (line) => line.sessionId === elsewhere.id)
  t.equal(app.aiFlow.liveCalls, 1, 'two calls ended')

  await first.close()
  const line = await logs.waitFor('WebSocket closed; its calls wait for their next event')
  t.equal(line.calls, 0, 'the first socket carries none of them any more')
  await second.close()
  const closed = logs.find('WebSocket closed; its calls wait for their next event')
  t.equal(closed.length, 2)
  t.equal(closed[1].calls, 1, 'the second carries the call that moved to it')
})

t.test('a socket lets go of a call that expired', async (t) => {
  const { app, logs } = await listen(t, { sessionTtl: 100 })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()
  await logs.waitFor('call expired', (line) => line.sessionId === call.id)
  await client.close()
  const line = await logs.waitFor('WebSocket closed; its calls wait for their next event')
  t.equal(line.calls, 0)
})
