import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, functionTool, setupFlow, speak, type AgentMessage, type AgentModel } from '../../lib'
import { scriptedModel, toolResults, type ScriptedAnswer, type SeenRequest } from '../../lib/testing'
import { event, post } from '../fixtures/helpers'
import { connect } from '../fixtures/ws-client'

/*
 * The scripted model scripts function tool calls: alone or side by side,
 * and answers that depend on what the tools gave back (a result, an error,
 * a timeout), read with toolResults.
 */

const SLOT = Type.Object({ time: Type.String() })

/** `check` is free at 19:00, fails at 20:00, and at 21:00 runs past its timeout of 50 ms. */
function line (model: AgentModel) {
  return setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'Check before you answer.',
        functions: {
          check: functionTool({
            description: 'Whether a time is free',
            parameters: SLOT,
            result: Type.Object({ free: Type.Boolean() }),
            timeout: 0.05,
            slowLine: { after: 10, text: 'Let me check the calendar.' },
            run: async ({ args, signal }) => {
              if (args.time === '20:00') throw new Error('the calendar is down')
              if (args.time === '21:00') return await new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
              return { free: true }
            }
          })
        },
        tools: {},
        onError: 'sorry'
      }),
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
}

async function webhook (t: { teardown: (fn: () => unknown) => void }, model: AgentModel): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: line(model), replyTimeout: 2000, websocket: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const texts = (body: unknown): unknown[] => [body].flat().map((action: any) => action.text ?? action.type)

/** Says what the tools of the round gave back, as a scripted model would answer by it. */
const byResults = (request: SeenRequest): string => toolResults(request).map(({ args, ok, result }) => `${(args as { time: string }).time} ${ok ? 'gave' : 'failed:'} ${result}.`).join(' ')

const checking = (...times: string[]): ScriptedAnswer => ({ tools: times.map((time) => ({ name: 'check', args: { time } })) })

t.test('a scripted tool call\'s result, a tool error and a timeout reach the next answer, which answers by them', async (t) => {
  const model = scriptedModel([checking('19:00'), byResults, checking('20:00'), byResults, checking('21:00'), byResults])
  const app = await webhook(t, model)
  await post(app, event('session_start', 's'))
  t.same(texts((await post(app, event('user_speak', 's', { text: 'Seven?' }))).body), ['19:00 gave {"free":true}.'])
  t.same(texts((await post(app, event('user_speak', 's', { text: 'Eight?' }))).body), ['20:00 failed: the calendar is down.'])
  t.same(texts((await post(app, event('user_speak', 's', { text: 'Nine?' }))).body), ['Let me check the calendar.', '21:00 failed: check took longer than 0.05 s.'], 'a slow tool: its line, then the timeout as an error')
})

t.test('parallel calls: every result of the round, in the order of the calls; with perCall, a function answer counts as one request', async (t) => {
  const model = scriptedModel([checking('20:00', '19:00'), byResults], { perCall: true })
  const app = await webhook(t, model)
  for (const id of ['p', 'q']) {
    await post(app, event('session_start', id))
    t.same(texts((await post(app, event('user_speak', id, { text: 'Seven or eight?' }))).body), ['20:00 failed: the calendar is down.', '19:00 gave {"free":true}.'])
  }
})

t.test('over the WebSocket, a slow tool\'s line goes as the tool runs, and the answer by its outcome after it', async (t) => {
  const model = scriptedModel([{ text: 'One moment.', ...checking('21:00') as object }, byResults])
  const app = await webhook(t, model)
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'w'))
  client.send(event('user_speak', 'w', { text: 'Nine?' }))
  t.same(texts(await client.next()), ['One moment.'])
  t.same(texts(await client.next()), ['Let me check the calendar.'])
  t.same(texts(await client.next()), ['21:00 failed: check took longer than 0.05 s.'])
})

t.test('toolResults reads only the round the conversation ends with', async (t) => {
  const tool = (time: string, round?: number): AgentMessage => ({ role: 'tool', name: 'check', args: { time }, ok: true, result: 'x', ...(round === undefined ? {} : { round }) })
  const request = (...messages: AgentMessage[]): SeenRequest => ({ instructions: '', messages, tools: [] })
  t.same(toolResults(request()), [], 'no conversation')
  t.same(toolResults(request(tool('19:00', 1), { role: 'caller', text: 'Hi' })), [], 'a caller turn last')
  t.same(toolResults(request(tool('19:00'))), [], 'a refused call is no round')
  t.same(toolResults(request(tool('18:00', 1), tool('19:00', 2), tool('20:00', 2))).map(({ args }) => args), [{ time: '19:00' }, { time: '20:00' }], 'the last round only')
  t.same(toolResults(request({ role: 'caller', text: 'Hi' }, tool('19:00', 1))), [{ name: 'check', args: { time: '19:00' }, ok: true, result: 'x' }])
})
