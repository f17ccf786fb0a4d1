import t from 'tap'
import Fastify from 'fastify'
import { assign, emit } from 'xstate'
import fastifyAiFlow, { collectDigits, hangup, menu, prompt, setupFlow, speak, type DigitsOutput } from '../../../lib'

const flow = setupFlow({ types: { context: {} as { account?: string } } }).createMachine({
  id: 'bank',
  context: {},
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'main' } },
    main: menu({
      id: 'main',
      say: 'Press 1 or say balance.',
      choices: { balance: { dtmf: '1', words: ['balance'] } },
      on: { balance: 'account' },
      noMatch: ['Sorry, press 1 for your balance.'],
      onNoInput: 'bye',
      onNoMatch: 'bye'
    }),
    account: collectDigits({
      id: 'account',
      say: 'Your account number, then hash.',
      terminator: '#',
      onDone: { target: 'confirm', actions: assign({ account: ({ event }) => (event.output as DigitsOutput).digits }) }
    }),
    confirm: prompt({
      id: 'confirm',
      say: ({ context }) => `Account ${context.account as string}, right?`,
      match: (reply) => reply.type === 'user_speak' && /yes/i.test(reply.text) ? true : undefined,
      onMatch: 'bye',
      onNoInput: 'bye',
      onNoMatch: 'bye'
    }),
    bye: { entry: [emit(speak('Goodbye.')), emit(hangup())] }
  }
})

const session = { id: 'f0f0a1b2-0000-4000-8000-000000000001', direction: 'inbound' }

t.test('menu, digit collector and prompt answer through the webhook', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyAiFlow, { flow })
  const post = async (event: Record<string, unknown>) => {
    const response = await app.inject({ method: 'POST', url: '/webhook', payload: { session, ...event } })
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() }
  }
  const id = session.id
  t.same(await post({ type: 'session_start' }), { status: 200, body: { type: 'speak', session_id: id, text: 'Press 1 or say balance.', user_input_timeout_seconds: 8 } })
  t.same(await post({ type: 'user_speak', text: 'weather' }), { status: 200, body: { type: 'speak', session_id: id, text: 'Sorry, press 1 for your balance.', user_input_timeout_seconds: 8 } })
  t.same(await post({ type: 'dtmf_received', digit: '1' }), { status: 200, body: { type: 'speak', session_id: id, text: 'Your account number, then hash.', user_input_timeout_seconds: 8 } })
  t.same(await post({ type: 'dtmf_received', digit: '7' }), { status: 204, body: undefined })
  t.same(await post({ type: 'dtmf_received', digit: '#' }), { status: 200, body: { type: 'speak', session_id: id, text: 'Account 7, right?', user_input_timeout_seconds: 8 } })
  t.same((await app.aiFlow.getCall(id))?.state, { confirm: { listening: { noInput: 'none', noMatch: 'none' } } })
  t.same(await post({ type: 'user_speak', text: 'Yes.' }), {
    status: 200,
    body: [{ type: 'speak', session_id: id, text: 'Goodbye.' }, { type: 'hangup', session_id: id }]
  })
})
