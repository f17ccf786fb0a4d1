import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, hangup, menu, setupFlow, speak, toMermaid, type AgentModel, type SpeakFlowAction } from '../../lib'
import { scriptedModel, TestClock } from '../../lib/testing'
import { checkFlow } from '../../lib/tools/check'
import { event, eventually, post } from '../fixtures/helpers'

interface Options { noInput?: Array<string | SpeakFlowAction>, silence?: string, limit?: boolean, voice?: Record<string, unknown> }

/** A desk that gives up on silence (unless `limit` is false), and a menu that sends the caller back to it. */
function desk (model: AgentModel, { noInput, silence, limit = true, voice }: Options = {}) {
  return setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        greeting: 'Hello, front desk.',
        instructions: 'Help.',
        tools: { more: { description: 'Ask something else', parameters: Type.Object({}), then: 'again' } },
        onError: 'goodbye',
        ...(noInput === undefined ? {} : { noInput }),
        ...(silence === undefined ? {} : { silence }),
        ...(limit ? { onNoInput: 'goodbye' } : {}),
        ...(voice === undefined ? {} : { voice })
      }),
      again: menu({ id: 'again', say: 'Press 1 to go back.', choices: { back: { dtmf: '1' } }, on: { back: 'talk' }, onNoInput: 'goodbye', onNoMatch: 'goodbye' }),
      goodbye: { entry: [emit(speak('Goodbye.')), emit(hangup())] }
    }
  })
}

async function plugin (t: { teardown: (fn: () => unknown) => void }, flow: ReturnType<typeof desk>): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow, replyTimeout: 100 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const texts = (body: unknown): unknown[] => (body === undefined ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)

t.test('noInput: one line per silence since the caller last spoke, then the state takes onNoInput', async (t) => {
  const app = await plugin(t, desk(scriptedModel(['Sure.']), { noInput: ['Hello?', 'Are you there?'] }))
  await post(app, event('session_start', 'n'))
  t.same(texts((await post(app, event('user_input_timeout', 'n'))).body), ['Hello?'])
  await post(app, event('user_speak', 'n', { text: 'Sorry, yes' }))
  t.same(texts((await post(app, event('user_input_timeout', 'n'))).body), ['Hello?'], 'the caller spoke: the count starts again')
  t.same(texts((await post(app, event('user_input_timeout', 'n'))).body), ['Are you there?'])
  t.same(texts((await post(app, event('user_input_timeout', 'n'))).body), ['Goodbye.', 'hangup'], 'one silence more than there are lines')
})

t.test('onNoInput alone: the silence line once, then give up; the count starts again when the state is entered again', async (t) => {
  const model = scriptedModel([{ tool: { name: 'more' } }])
  const app = await plugin(t, desk(model, { silence: 'Hm?' }))
  await post(app, event('session_start', 's'))
  t.same(texts((await post(app, event('user_input_timeout', 's'))).body), ['Hm?'])
  t.same(texts((await post(app, event('user_speak', 's', { text: 'Something else' }))).body), ['Press 1 to go back.'])
  t.same(texts((await post(app, event('dtmf_received', 's', { digit: '1' }))).body), ['Hello, front desk.'])
  t.same(texts((await post(app, event('user_input_timeout', 's'))).body), ['Hm?'], 'a silence of an earlier visit does not count')
  t.same(texts((await post(app, event('user_input_timeout', 's'))).body), ['Goodbye.', 'hangup'])
})

t.test('without onNoInput, the state asks again after every silence, as before', async (t) => {
  const app = await plugin(t, desk(scriptedModel([]), { limit: false }))
  await post(app, event('session_start', 'f'))
  for (let silence = 0; silence < 4; silence++) t.same(texts((await post(app, event('user_input_timeout', 'f'))).body), ['Are you still there?'])
})

t.test('the diagram labels the silence exit with how many silences it takes', async (t) => {
  t.match(toMermaid(desk(scriptedModel([]), { noInput: ['a', 'b'] })), /talk --> goodbye : no input #215;3/)
})

t.test('voice applies to every line the state says: greeting, silence, filler and the model\'s sentences, barge_in included', async (t) => {
  const voice = { tts: { provider: 'azure', voice: 'en-US-JennyNeural' }, barge_in: { strategy: 'minimum_characters', minimum_characters: 3 } }
  const clock = new TestClock()
  const app = await plugin(t, desk(scriptedModel([{ text: 'We open at noon. On Sundays too.', firstDelay: 5000 }], { clock }), { voice, noInput: ['Hello?', speak({ ssml: '<speak>Still there?</speak>', barge_in: { strategy: 'none' } })] }))
  const said: unknown[] = []
  said.push((await post(app, event('session_start', 'v'))).body)
  said.push((await post(app, event('user_input_timeout', 'v'))).body)
  said.push((await post(app, event('user_input_timeout', 'v'))).body)
  said.push((await post(app, event('user_speak', 'v', { text: 'When do you open?' }))).body)
  await clock.advance(5000)
  t.ok(await eventually(async () => (await app.aiFlow.getCall('v'))?.pendingActions === 2))
  said.push(...(await post(app, event('assistant_speech_ended', 'v'))).body)
  t.match(said, [
    { text: 'Hello, front desk.', ...voice, user_input_timeout_seconds: 8 },
    { text: 'Hello?', ...voice, user_input_timeout_seconds: 8 },
    { ssml: '<speak>Still there?</speak>', tts: voice.tts, barge_in: { strategy: 'none' } },
    { text: 'One moment, please.', ...voice },
    { text: 'We open at noon.', ...voice },
    { text: 'On Sundays too.', ...voice, user_input_timeout_seconds: 8 }
  ], 'an author\'s own speak keeps the barge_in it sets')
})

t.test('check finds nothing to say about an agent that gives up on silence, nor about one that does not', async (t) => {
  t.same(checkFlow(desk(scriptedModel([]), { noInput: ['a'] })), [])
  t.same(checkFlow(desk(scriptedModel([]), { limit: false })), [], 'no unreachable no-input state')
})
