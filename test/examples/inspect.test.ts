import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { WebSocketServer } from 'ws'
import { buildInspectedServer } from '../../examples/inspect'
import { event, eventually, post } from '../fixtures/helpers'

interface Inspected { type: string, event?: { type: string, session?: { id: string } }, snapshot?: { value?: unknown }, [key: string]: unknown }

t.test("a call's events, states and actors reach the inspector server", async (t) => {
  // Stands in for @statelyai/inspect's inspector server: a WebSocket server that takes what is sent.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  const received: Inspected[] = []
  server.on('connection', (socket) => { socket.on('message', (data) => { received.push(JSON.parse(String(data))) }) })
  const { port } = server.address() as AddressInfo
  const app = await buildInspectedServer({ inspectorUrl: `ws://127.0.0.1:${port}`, logger: false })
  t.teardown(async () => {
    await app.close()
    for (const socket of server.clients) socket.terminate()
    server.close()
  })

  await post(app, event('session_start', 'inspected-call'))
  await post(app, event('dtmf_received', 'inspected-call', { digit: '1' }))
  const reached = (value: string) => received.some((item) => item.type === '@xstate.snapshot' && item.snapshot?.value === value)
  t.ok(await eventually(() => reached('sales')), 'the state after the key press arrived')
  t.ok(received.some((item) => item.type === '@xstate.actor' && item.name === 'inspected-call'), 'the call actor was announced by its session id')
  const events = received.filter((item) => item.type === '@xstate.event').map((item) => item.event)
  t.match(events, [{ type: 'xstate.init' }, { type: 'session_start', session: { id: 'inspected-call' } }, { type: 'dtmf_received' }])
})
