import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildServer } from '../../examples/app'
import { AGENT_NUMBER, GOODBYE, HOURS, MENU } from '../../examples/demo-flow'
import { hangup, speak, transfer, type FlowAction } from '../../lib'

// The service's documented payloads, copied into the repository (see the README beside them).
const examples = path.join(__dirname, '..', 'fixtures', 'protocol-examples')

/** A documented event payload, with some fields changed. */
function event (name: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...JSON.parse(fs.readFileSync(path.join(examples, `event-${name}.json`), 'utf8')), ...changes }
}

const sessionId = (event('session_start').session as { id: string }).id
const seconds = { user_input_timeout_seconds: 8 }
const say = (text: string): FlowAction => speak(text, seconds)
const toAgent = [
  say('One moment, I am putting you through.'),
  transfer({ target_phone_number: AGENT_NUMBER, caller_id_name: 'Acme assistant', caller_id_number: AGENT_NUMBER, timeout: 20 })
]

interface Reply { status: number, body: unknown }

/** What the service should get for these actions: 204, one action, or an array. */
function expected (actions: FlowAction[]): Reply {
  const wire = actions.map((action) => ({ ...action, session_id: sessionId }))
  if (wire.length === 0) return { status: 204, body: '' }
  return { status: 200, body: wire.length === 1 ? wire[0] : wire }
}

function received (res: LightMyRequestResponse): Reply {
  return { status: res.statusCode, body: res.body === '' ? '' : res.json() }
}

t.test('a scripted call through the demo, event by event over HTTP', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const steps: Array<[string, Record<string, unknown>, FlowAction[]]> = [
    ['greeting', event('session_start'), [say(`Welcome to Acme! ${MENU}`)]],
    ['speech started', event('assistant_speak'), []],
    ['speech ended', event('assistant_speech_ended'), []],
    ['key 1: opening hours', event('dtmf_received', { digit: '1' }), [say(HOURS), say('Anything else? ' + MENU)]],
    ['a key not on the menu', event('dtmf_received', { digit: '7' }), [say(`Sorry, 7 is not on the menu. ${MENU}`)]],
    ['key 0: the menu again', event('dtmf_received', { digit: '0' }), [say(MENU)]],
    ['key #: the menu again', event('dtmf_received', { digit: '#' }), [say(MENU)]],
    ['asking for the hours', event('user_speak', { text: 'When are you open?', barged_in: false }), [say(HOURS), say('Anything else?')]],
    ['something it does not know', event('user_speak', { text: 'Do you sell bicycles?', barged_in: false }),
      [say('Sorry, I did not catch that. You can say hours, agent or goodbye, or press 0 for the menu.')]],
    ['a barge-in', event('user_speak', { text: 'Wait, the menu please', barged_in: true }), [say('Sorry for talking over you.'), say(MENU)]],
    ['speech ended', event('assistant_speech_ended'), []],
    ['first silence', event('user_input_timeout'), [say(`Are you still there? ${MENU}`)]],
    ['second silence', event('user_input_timeout'), [say('I still cannot hear you. Press 0 for the menu.')]],
    ['key 2: a person', event('dtmf_received', { digit: '2' }), toAgent],
    ['nobody answered the transfer', event('session_start'), [say(`Sorry, nobody could take your call right now. ${MENU}`)]],
    ['silence after the transfer counts from one', event('user_input_timeout'), [say(`Are you still there? ${MENU}`)]],
    ['asking for an agent', event('user_speak', { text: 'Can I talk to an agent?', barged_in: undefined }), toAgent],
    ['key 9: goodbye', event('dtmf_received', { digit: '9' }), [say(GOODBYE), hangup()]],
    ['the call ends', event('session_end'), []]
  ]

  for (const [step, payload, actions] of steps) {
    const res = await app.inject({ method: 'POST', url: '/webhook', payload })
    t.same(received(res), expected(actions), step)
  }
  t.equal(app.aiFlow.liveCalls, 0, 'the call is gone after session_end')
})

t.test('the third silence in a row ends the call', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/webhook', payload: event('session_start') })
  await app.inject({ method: 'POST', url: '/webhook', payload: event('user_input_timeout') })
  await app.inject({ method: 'POST', url: '/webhook', payload: event('user_input_timeout') })

  const res = await app.inject({ method: 'POST', url: '/webhook', payload: event('user_input_timeout') })

  t.same(received(res), expected([say('It seems we have a bad line. Please call again.'), hangup()]))
})

t.test('an outbound call gets the outbound greeting', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())

  const res = await app.inject({ method: 'POST', url: '/webhook', payload: event('session_start-outbound') })

  t.same(received(res), expected([say(`Hello, this is the Acme assistant calling. ${MENU}`)]))
})

t.test('with a token, the webhook wants it in X-API-TOKEN', async (t) => {
  const app = buildServer({ token: 's3cret' })
  t.teardown(() => app.close())

  const refused = await app.inject({ method: 'POST', url: '/webhook', payload: event('session_start') })
  const accepted = await app.inject({ method: 'POST', url: '/webhook', payload: event('session_start'), headers: { 'x-api-token': 's3cret' } })

  t.equal(refused.statusCode, 401)
  t.same(received(accepted), expected([say(`Welcome to Acme! ${MENU}`)]))
})

t.test('the demo answers real HTTP on an ephemeral port', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })

  const res = await fetch(`${address}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event('session_start'))
  })

  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.same(await res.json(), { ...say(`Welcome to Acme! ${MENU}`), session_id: sessionId })
})
