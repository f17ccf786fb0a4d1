import t from 'tap'
import { buildServer } from '../../examples/app'
import { GOODBYE, HOURS, MENU } from '../../examples/demo-flow'
import { session } from '../fixtures/app'
import { connect } from '../fixtures/ws-client'

interface Step {
  event: Record<string, unknown>
  /** How many actions the demo emits for this event. */
  actions: number
}

/** One call through the demo assistant; the session is filled in per run. */
const script: Step[] = [
  { event: { type: 'session_start' }, actions: 1 },
  { event: { type: 'assistant_speech_ended' }, actions: 0 },
  // Nothing plays: the demo lets the caller talk.
  { event: { type: 'user_speech_started' }, actions: 0 },
  { event: { type: 'dtmf_received', digit: '1' }, actions: 2 },
  // Only the WebSocket carries it; over HTTP its barge_in waits for the next reply, in the same place in the sequence.
  { event: { type: 'user_speech_started' }, actions: 1 },
  { event: { type: 'user_speak', text: 'When are you open?', barged_in: true }, actions: 3 },
  { event: { type: 'user_input_timeout' }, actions: 1 },
  { event: { type: 'dtmf_received', digit: '9' }, actions: 2 },
  { event: { type: 'session_end' }, actions: 0 }
]

/** Strips what differs between the runs: the session id. */
function anonymous (actions: unknown[]): unknown[] {
  return actions.map((action) => {
    const { session_id: sessionId, ...rest } = action as { session_id: string }
    return rest
  })
}

t.test('the same scripted call gets the same action sequence over HTTP and over WebSocket', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })

  const overHttp: unknown[] = []
  const httpCall = session()
  for (const { event } of script) {
    const response = await app.inject({ method: 'POST', url: '/webhook', payload: { ...event, session: httpCall } })
    if (response.statusCode === 204) continue
    overHttp.push(...[response.json()].flat())
  }

  const overSocket: unknown[] = []
  const socketCall = session()
  const client = await connect(app, { path: '/ws' })
  for (const { event, actions } of script) {
    client.send({ ...event, session: socketCall })
    const expected = overSocket.length + actions
    while (overSocket.length < expected) overSocket.push(...[await client.next()].flat())
  }
  await client.close()
  while (client.queued > 0) overSocket.push(...[await client.next()].flat())

  t.same(anonymous(overSocket), anonymous(overHttp))
  const say = (text: string): Record<string, unknown> => ({ type: 'speak', text, user_input_timeout_seconds: 8 })
  t.same(anonymous(overHttp), [
    say(`Welcome to Acme! ${MENU}`),
    say(HOURS),
    say(`Anything else? ${MENU}`),
    { type: 'barge_in' },
    say('Sorry for talking over you.'),
    say(HOURS),
    say('Anything else?'),
    say(`Are you still there? ${MENU}`),
    say(GOODBYE),
    { type: 'hangup' }
  ])
  t.equal(app.aiFlow.liveCalls, 0, 'both calls ended')
})
