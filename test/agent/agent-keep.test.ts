import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, functionTool, hangup, parseRecording, setupFlow, speak, type AgentMemory, type AgentModel, type RecordedCall } from '../../lib'
import { replayRecording, scriptedModel, type ScriptedAnswer } from '../../lib/testing'
import { event, eventually, post } from '../fixtures/helpers'

/*
 * What a function tool keeps: a run that succeeded updates the flow's
 * context through the tool's `keep`, and a later state reads it.
 */

const SLOT = Type.Object({ time: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) })
const FREE = Type.Object({ free: Type.Boolean() })

interface Context { agent?: AgentMemory, slot?: string, tried?: string[], notes?: unknown[] }

/** What `keep` was asked with, in order. */
interface Kept { tool: string, result: unknown, tried?: string[] }

/**
 * Luigi's line in small: `check` looks a time up and keeps the slot it found,
 * `note` and `code` (no result schema, and a text schema) keep what they
 * returned as it was read back; `book` leads to a state that says the kept slot.
 */
function line (model: AgentModel, check: (time: string) => Promise<{ free: boolean }>, kept: Kept[], texts: Record<string, unknown> = {}) {
  return setupFlow({ types: { context: {} as Context } }).createMachine({
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'Check, then book.',
        greeting: 'Hello.',
        functions: {
          check: functionTool<typeof SLOT, typeof FREE, Context>({
            description: 'Whether a time is free',
            parameters: SLOT,
            result: FREE,
            run: async ({ args }) => await check(args.time),
            keep: ({ args, result, context }) => {
              kept.push({ tool: 'check', result, tried: context.tried })
              return { tried: [...(context.tried ?? []), args.time], ...(result.free ? { slot: args.time } : {}) }
            }
          }),
          note: functionTool<typeof SLOT, any, Context>({
            description: 'A note',
            parameters: SLOT,
            run: ({ args }) => texts[args.time],
            keep: ({ result, context }) => {
              kept.push({ tool: 'note', result })
              return { notes: [...(context.notes ?? []), result] }
            }
          }),
          code: functionTool<typeof SLOT, ReturnType<typeof Type.String>, Context>({
            description: 'A code',
            parameters: SLOT,
            result: Type.String(),
            run: ({ args }) => args.time.slice(0, 2),
            keep: ({ result, context }) => {
              kept.push({ tool: 'code', result })
              return { notes: [...(context.notes ?? []), result] }
            }
          })
        },
        tools: { book: { description: 'Book the slot found', parameters: Type.Object({}), then: 'booked' } },
        onError: 'sorry'
      }),
      booked: { entry: [emit(({ context }) => speak(`Booked for ${context.slot ?? 'nothing'}.`)), emit(hangup())] },
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
}

async function webhook (t: Test, machine: ReturnType<typeof line>, record?: PassThrough): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: machine, replyTimeout: 2000, ...(record === undefined ? {} : { record: { stream: record } }) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

const texts = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)

async function contextOf (app: FastifyInstance, id: string): Promise<Context> {
  return (await app.aiFlow.getCall(id))?.context as Context
}

const free = async (time: string): Promise<{ free: boolean }> => ({ free: time === '19:00' })

const checking = (time: string): ScriptedAnswer => ({ tool: { name: 'check', args: { time } } })
const BOOK: ScriptedAnswer = { tool: { name: 'book' } }

t.test('the slot a tool found is kept in the context, and the state the call goes on to reads it', async (t) => {
  const kept: Kept[] = []
  const app = await webhook(t, line(scriptedModel([checking('19:00'), BOOK]), free, kept))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Seven, please.' }))).body), ['Booked for 19:00.', 'hangup'], 'the booked state said the kept slot')
  t.same(kept, [{ tool: 'check', result: { free: true }, tried: undefined }], 'keep got the result as the schema types it, and the context as it was')
  t.match(await contextOf(app, 'c'), { slot: '19:00', tried: ['19:00'] })
})

t.test('a run that failed, or a call that did not fit, keeps nothing', async (t) => {
  const kept: Kept[] = []
  const model = scriptedModel([checking('20:00'), checking('seven'), BOOK])
  const app = await webhook(t, line(model, async () => { throw new Error('the calendar is down') }, kept))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Eight?' }))).body), ['Booked for nothing.', 'hangup'])
  t.same(kept, [], 'keep was never asked')
  const context = await contextOf(app, 'c')
  t.equal(context.slot, undefined)
  t.equal(context.tried, undefined)
  t.match(model.requests[1].messages.at(-1), { role: 'tool', ok: false, result: 'the calendar is down' }, 'the model got the error')
})

t.test('calls side by side each keep, in the order of the calls whichever ends first, each seeing what the earlier kept', async (t) => {
  const kept: Kept[] = []
  let releaseFirst!: () => void
  const first = new Promise<void>((resolve) => { releaseFirst = resolve })
  const check = async (time: string): Promise<{ free: boolean }> => {
    // The first call ends last.
    if (time === '20:00') await first
    else releaseFirst()
    return await free(time)
  }
  const model = scriptedModel([{ tools: [{ name: 'check', args: { time: '20:00' } }, { name: 'check', args: { time: '19:00' } }] }, BOOK])
  const app = await webhook(t, line(model, check, kept))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Eight or seven?' }))).body), ['Booked for 19:00.', 'hangup'])
  t.same(kept.map((entry) => entry.tried), [undefined, ['20:00']], 'the second call\'s keep saw what the first kept')
  t.match(await contextOf(app, 'c'), { slot: '19:00', tried: ['20:00', '19:00'] })
})

t.test('a result is kept as it was read back: JSON as its value, text as text, and text its schema wants as text', async (t) => {
  const kept: Kept[] = []
  const model = scriptedModel([{
    tools: [
      { name: 'note', args: { time: '10:00' } }, // an object, no result schema
      { name: 'note', args: { time: '11:00' } }, // text that is no JSON
      { name: 'code', args: { time: '12:00' } } // text '12' that reads as a number, where the schema wants text
    ]
  }, BOOK])
  const app = await webhook(t, line(model, free, kept, { '10:00': { table: 4 }, '11:00': 'by the window' }))
  await post(app, event('session_start', 'c'))
  await post(app, event('user_speak', 'c', { text: 'Notes?' }))
  t.same((await contextOf(app, 'c')).notes, [{ table: 4 }, 'by the window', '12'])
})

t.test('a replay keeps the recorded result the same way, and runs no tool', async (t) => {
  const kept: Kept[] = []
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const app = await webhook(t, line(scriptedModel([checking('19:00'), BOOK]), free, kept), stream)
  await post(app, event('session_start', 'r'))
  t.same(texts((await post(app, event('user_speak', 'r', { text: 'Seven.' }))).body), ['Booked for 19:00.', 'hangup'])
  t.ok(await eventually(() => parseRecording(text)[0]?.tools?.length === 1), 'the run is written')
  const calls: RecordedCall[] = parseRecording(text)
  const replayedKeeps: Kept[] = []
  const result = await replayRecording(calls, line(scriptedModel([]), async () => { t.fail('a replay ran check'); throw new Error('ran') }, replayedKeeps))
  t.same(result.differences, [], 'the replayed booked state said the same kept slot')
  t.same(replayedKeeps, [{ tool: 'check', result: { free: true }, tried: undefined }], 'keep was asked with the recorded result')
})
