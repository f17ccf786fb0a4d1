import t from 'tap'
import { listen } from '../fixtures/app'
import { connect } from '../fixtures/ws-client'

const IGNORED = 'ignored an invalid WebSocket frame'

t.test('a frame ws refuses (bad UTF-8) is a bad frame: a warning, the socket closed with ws\'s code', async (t) => {
  const { app, logs } = await listen(t)
  const client = await connect(app)
  client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
  t.match(await client.closed, { code: 1007 })
  const line = await logs.waitFor(IGNORED)
  t.equal(line.level, 40)
  t.match(line.err, { code: 'FST_AIFLOW_INVALID_FRAME', message: /invalid UTF-8 sequence; the socket is closed/ })
  t.notOk(logs.lines.some((line) => line.level >= 50))
})

t.test('any other error on a socket is a warning, and the socket is terminated', async (t) => {
  const { app, logs } = await listen(t)
  const client = await connect(app)
  const [socket] = app.websocketServer.clients
  socket.emit('error', new Error('read ECONNRESET'))
  t.match(await client.closed, { code: 1006 }, 'terminated, without a closing handshake')
  const line = await logs.waitFor('WebSocket error; terminating the socket')
  t.match(line, { level: 40, transport: 'websocket', err: { message: 'read ECONNRESET' } })
  t.notOk(logs.lines.some((line) => line.level >= 50))
})
