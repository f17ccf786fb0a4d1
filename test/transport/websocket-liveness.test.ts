import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { listen, session } from '../fixtures/app'
import { connect } from '../fixtures/ws-client'

const STOPPED_READING = 'the peer stopped reading; closing the WebSocket'

t.test('a peer that stops reading is closed with 1008 once the send buffer passes the limit', async (t) => {
  const limit = 256 * 1024
  const { app, logs } = await listen(t, { websocket: { maxBufferedBytes: limit, maxPayload: 1024 * 1024 } })
  const client = await connect(app)
  const call = session()
  client.send({ type: 'session_start', session: call })
  await client.next()

  client.socket.pause()
  const big = 'x'.repeat(512 * 1024)
  let sent = 0
  // The kernel's socket buffers take a few megabytes before anything waits in the process.
  while (logs.find(STOPPED_READING).length === 0 && sent < 400) {
    client.send({ type: 'user_speak', session: call, text: `repeat ${big}` })
    sent++
    await sleep(5)
  }
  const line = await logs.waitFor(STOPPED_READING)
  t.equal(line.level, 50)
  t.equal(line.err?.code, 'FST_AIFLOW_SEND_BUFFER_FULL')
  t.ok((line.err?.message ?? '').includes(`over the limit of ${limit}`))

  client.socket.resume()
  const closed = await client.closed
  t.same(closed, { code: 1008, reason: 'send buffer full' })
  const view = await app.aiFlow.getCall(call.id)
  t.ok(view !== undefined && view.pendingActions > 0, 'what could not be sent waits for the call\'s next event')
})

t.test('a peer that does not answer pings is terminated', async (t) => {
  const { app, logs } = await listen(t, { websocket: { pingInterval: 20 } })
  const client = await connect(app, { autoPong: false })
  client.send({ type: 'session_start', session: session() })
  await client.next()
  const closed = await client.closed
  t.equal(closed.code, 1006, 'no close frame: the socket was cut')
  const line = await logs.waitFor('the peer did not answer a ping; terminating the WebSocket')
  t.equal(line.err?.code, 'FST_AIFLOW_PING_TIMEOUT')
  t.equal(line.calls, 1)
})

t.test('a peer that answers pings stays connected', async (t) => {
  const { app, logs } = await listen(t, { websocket: { pingInterval: 20 } })
  const client = await connect(app)
  let pings = 0
  await new Promise<void>((resolve) => {
    client.socket.on('ping', () => { if (++pings === 4) resolve() })
  })
  t.equal(client.socket.readyState, client.socket.OPEN)
  t.equal(logs.find('the peer did not answer a ping; terminating the WebSocket').length, 0)
  client.send({ type: 'session_start', session: session() })
  t.match(await client.next(), { type: 'speak' })
  await client.close()
})
