import t from 'tap'
import { listen, session } from '../fixtures/app'
import { connect } from '../fixtures/ws-client'

interface Step {
  event: Record<string, unknown>
  /** How many actions this step makes the flow emit, on either transport. */
  actions: number
}

/** One scripted call; the session is filled in per run. */
const script: Step[] = [
  { event: { type: 'session_start' }, actions: 1 },
  { event: { type: 'user_speak', text: 'opening hours' }, actions: 2 },
  { event: { type: 'user_speak', text: 'repeat thanks' }, actions: 1 },
  { event: { type: 'dtmf_received', digit: '5' }, actions: 0 },
  { event: { type: 'dtmf_received', digit: '#' }, actions: 2 },
  { event: { type: 'session_end' }, actions: 0 }
]

/** Strips what differs between runs: the session id. */
function anonymous (actions: unknown[]): unknown[] {
  return actions.map((action) => {
    const { session_id: sessionId, ...rest } = action as { session_id: string }
    return rest
  })
}

t.test('the same scripted call gets the same action sequence over HTTP and over WebSocket', async (t) => {
  const { app } = await listen(t)

  const overHttp: unknown[] = []
  const httpCall = session()
  for (const { event } of script) {
    const response = await app.inject({ method: 'POST', url: '/webhook', payload: { ...event, session: httpCall } })
    if (response.statusCode === 204) continue
    overHttp.push(...[response.json()].flat())
  }

  const overSocket: unknown[] = []
  const socketCall = session()
  const client = await connect(app)
  for (const { event, actions } of script) {
    client.send({ ...event, session: socketCall })
    const expected = overSocket.length + actions
    while (overSocket.length < expected) overSocket.push(...[await client.next()].flat())
  }
  await client.close()
  while (client.queued > 0) overSocket.push(...[await client.next()].flat())

  t.same(anonymous(overSocket), anonymous(overHttp))
  t.same(anonymous(overHttp), [
    { type: 'speak', text: 'Welcome to Acme!' },
    { type: 'speak', text: 'One moment.' },
    { type: 'speak', text: 'You asked about opening hours.' },
    { type: 'speak', text: 'thanks' },
    { type: 'speak', text: 'Goodbye!' },
    { type: 'hangup' }
  ])
  t.equal(app.aiFlow.liveCalls, 0, 'both calls ended')
})
