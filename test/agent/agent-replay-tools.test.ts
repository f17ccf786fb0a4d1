import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, functionTool, hangup, parseRecording, setupFlow, speak, type AgentModel, type RecordedCall } from '../../lib'
import { replayRecording, scriptedModel, type ComparedToolCall, type ScriptedAnswer } from '../../lib/testing'
import { replay, replayReport } from '../../lib/cli/replay-command'
import { paint } from '../../lib/cli/paint'
import { event, eventually, post, sleep } from '../fixtures/helpers'
import { connect } from '../fixtures/ws-client'

/*
 * Exact replay with function tools: a recording keeps each run of a tool
 * (arguments, result or error, timing, the tool's schemas), and a replay
 * answers every tool call from it and runs no tool.
 */

// Seven recorded calls and their replays, in real time: more than tap's default of 30 s on a busy machine.
t.setTimeout(120_000)

const SLOT = Type.Object({ time: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) })
const FREE = Type.Object({ free: Type.Boolean() })
const BOOKING = Type.Object({ time: Type.String(), phone: Type.String() })
const BOOKED = Type.Object({ reference: Type.String() })

interface Runs {
  check: (time: string, signal: AbortSignal) => Promise<{ free: boolean }>
  book: (time: string, key: string) => Promise<{ reference: string }>
}

interface Shape {
  /** The check tool's arguments schema. */
  slot?: TSchema
  /** The booking's result schema. */
  booked?: TSchema
  slowLine?: { after: number, text: string }
  /** The check tool's timeout in seconds. */
  timeout?: number
}

/** Luigi's line in small: `check` looks a time up, `book` books it (and must finish), `done` ends the call. */
function line (model: AgentModel, runs: Runs, { slot = SLOT, booked = BOOKED, slowLine, timeout = 0.2 }: Shape = {}) {
  return setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'Check, then book.',
        greeting: 'Hello.',
        functions: {
          check: functionTool({
            description: 'Whether a time is free',
            parameters: slot,
            result: FREE,
            timeout,
            ...(slowLine === undefined ? {} : { slowLine }),
            run: async ({ args, signal }) => await runs.check((args as { time: string }).time, signal)
          }),
          book: functionTool({
            description: 'Book a table',
            parameters: BOOKING,
            result: booked,
            mustFinish: true,
            run: async ({ args, key }) => await runs.book(args.time, key)
          })
        },
        tools: { done: { description: 'The caller is done', parameters: Type.Object({}), then: 'bye' } },
        onError: 'sorry'
      }),
      bye: { entry: [emit(speak('Goodbye.')), emit(hangup())] },
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
}

/** Tools that fail the test if a replay runs them. */
function never (t: Test): Runs {
  return {
    check: async () => { t.fail('a replay ran check'); throw new Error('ran') },
    book: async () => { t.fail('a replay ran book: it would have booked'); throw new Error('ran') }
  }
}

const nobody = (): AgentModel => scriptedModel([], { name: 'never asked' })

interface Recording { app: FastifyInstance, text: () => string, calls: () => RecordedCall[] }

async function recording (t: Test, flow: ReturnType<typeof line>, extra: { websocket?: boolean, replyTimeout?: number, redactPhoneNumbers?: boolean } = {}): Promise<Recording> {
  let text = ''
  const stream = new PassThrough()
  stream.on('data', (chunk) => { text += String(chunk) })
  const { redactPhoneNumbers, ...options } = extra
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow, record: { stream, redactPhoneNumbers }, replyTimeout: 1000, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, text: () => text, calls: () => parseRecording(text) }
}

const PHONE = '+1234567890'

/** One booking: three checks side by side (free, failing, timing out), then the booking, then goodbye. */
const BOOKING_CALL: ScriptedAnswer[] = [
  { text: 'Let me look.', tools: [{ name: 'check', args: { time: '19:00' } }, { name: 'check', args: { time: '20:00' } }, { name: 'check', args: { time: '21:00' } }] },
  'Seven is free. Shall I book it?',
  { tool: { name: 'book', args: { time: '19:00', phone: PHONE } } },
  { text: 'Booked.', tool: { name: 'done' } }
]

async function bookingCall (t: Test, redactPhoneNumbers?: boolean): Promise<{ recorded: Recording, booked: string[] }> {
  const booked: string[] = []
  const runs: Runs = {
    check: async (time, signal) => {
      if (time === '20:00') throw new Error('the calendar is down')
      if (time === '21:00') return await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      return { free: true }
    },
    book: async (_time, key) => { booked.push(key); return { reference: 'L-1' } }
  }
  const recorded = await recording(t, line(scriptedModel(BOOKING_CALL), runs), { redactPhoneNumbers })
  await post(recorded.app, event('session_start', 'b'))
  t.same((await post(recorded.app, event('user_speak', 'b', { text: 'Seven, eight or nine?' }))).body.map((action: { text: string }) => action.text), ['Let me look.', 'Seven is free.', 'Shall I book it?'])
  await post(recorded.app, event('user_speak', 'b', { text: 'Yes, seven.' }))
  t.ok(await eventually(() => recorded.calls()[0]?.tools?.length === 4), 'every run is written')
  return { recorded, booked }
}

t.test('a recording keeps each tool run: arguments, result or error, timing, key and the tool\'s schemas', async (t) => {
  const { recorded, booked } = await bookingCall(t)
  const [call] = recorded.calls()
  t.equal(booked.length, 1, 'recorded live: the booking ran')
  t.match(call.tools, [
    { name: 'check', args: { time: '19:00' }, ok: true, result: '{"free":true}', schemas: { parameters: { type: 'object' }, result: { properties: { free: { type: 'boolean' } } } } },
    { name: 'check', args: { time: '20:00' }, ok: false, result: 'the calendar is down' },
    { name: 'check', args: { time: '21:00' }, ok: false, result: 'check took longer than 0.2 s' },
    { name: 'book', args: { time: '19:00' }, ok: true, result: '{"reference":"L-1"}', key: booked[0] }
  ])
  t.same(call.tools?.slice(0, 3).map((tool) => tool.key.endsWith(`:${call.tools?.indexOf(tool)}`)), [true, true, true], 'each call of a round has its key')
  for (const tool of call.tools ?? []) t.type(tool.at, 'number')
  t.ok((call.tools?.[2].ms ?? 0) >= 200, 'the run that timed out took its timeout')
  t.notOk(recorded.text().includes(PHONE), 'the caller\'s number is masked in the tool\'s arguments, and in the model\'s request after the round of tools')
  t.match(call.tools?.[3].args, { phone: '+********90' })
})

t.test('a recording told not to mask phone numbers keeps them in the tools\' arguments too', async (t) => {
  const { recorded } = await bookingCall(t, false)
  t.match(recorded.calls()[0].tools?.[3].args, { phone: PHONE })
})

t.test('replay answers every tool call from the recording and runs no tool: a replayed booking books nothing', async (t) => {
  const { recorded, booked } = await bookingCall(t)
  const result = await replayRecording(recorded.calls(), line(nobody(), never(t)))
  t.same(result.differences, [], 'every reply as recorded: the errors and the timeout reached the model as they did')
  t.same(result.modelDifferences, [], 'every request the same: the results in the conversation are the recorded ones')
  t.same(result.toolDifferences, [])
  t.same(result.errors, [])
  t.equal(result.events, 3)
  t.equal(booked.length, 1, 'booked once, when recorded')
})

t.test('a changed tool schema shows as a difference in the replay report; the recorded result is given all the same', async (t) => {
  const { recorded } = await bookingCall(t)
  const booked = Type.Object({ reference: Type.String(), table: Type.Integer() })
  const slot = Type.Object({ time: Type.String() })
  const result = await replayRecording(recorded.calls(), line(nobody(), never(t), { booked, slot }))
  t.same(result.differences, [])
  t.match(result.toolDifferences, [
    { sessionId: 'b', position: 1, recorded: { name: 'check', schemas: { parameters: { properties: { time: { pattern: '^\\d{2}:\\d{2}$' } } } } }, replayed: { name: 'check', schemas: { parameters: { properties: { time: { type: 'string' } } } } } },
    { position: 2 },
    { position: 3 },
    { position: 4, recorded: { schemas: { result: { required: ['reference'] } } }, replayed: { schemas: { result: { required: ['reference', 'table'] } } } }
  ])
  t.match(result.modelDifferences, [{ position: 1 }, { position: 2 }, { position: 3 }, { position: 4 }], 'the arguments schema is sent to the model: every request differs in its tools')
  const lines = replayReport(result, paint(false)).filter((text) => !text.startsWith('call b, model call') && !text.startsWith('    recorded tools') && !text.startsWith('    replayed tools'))
  t.same(lines.slice(-4), [
    'call b, tool call 4 (book): differs in result schema; answered from the recording all the same',
    '    recorded result schema: {"type":"object","required":["reference"],"properties":{"reference":{"type":"string"}}}',
    '    replayed result schema: {"type":"object","required":["reference","table"],"properties":{"reference":{"type":"string"},"table":{"type":"integer"}}}',
    '1 call, 3 events: 0 replies differ from the recording, 4 model requests differ, 4 tool calls differ'
  ])
  t.match(lines.find((text) => text.startsWith('call b, tool call 1')), 'call b, tool call 1 (check): differs in arguments schema; answered from the recording all the same')

  // Through the CLI's replay: only the result schema changed, so no model request differs.
  const dir = await mkdtemp(path.join(tmpdir(), 'replay-tools-'))
  const file = path.join(dir, 'b.jsonl')
  await writeFile(file, recorded.text())
  const report = await replay(file, line(nobody(), never(t), { booked }), paint(false))
  t.equal(report.differs, true, 'the CLI exits 1 for a changed result schema')
  t.same(report.lines.at(-1), '1 call, 3 events: 0 replies differ from the recording, 1 tool call differs')
  const unchanged = await replay(file, line(nobody(), never(t)), paint(false))
  t.same(unchanged, { lines: ['1 call, 3 events: every reply matches the recording'], differs: false })

  // A result schema added since: the recorded side has none.
  const [added] = result.toolDifferences.slice(-1)
  const none = replayReport({ ...result, differences: [], modelDifferences: [], toolDifferences: [{ ...added, recorded: { ...added.recorded as ComparedToolCall, schemas: { parameters: {} } } }] }, paint(false))
  t.same(none.slice(0, 3), [
    'call b, tool call 4 (book): differs in arguments schema, result schema; answered from the recording all the same',
    '    recorded arguments schema: {}',
    `    replayed arguments schema: ${JSON.stringify(added.replayed.schemas.parameters)}`
  ])
  t.same(none.slice(3, 5), ['    recorded result schema: (none)', `    replayed result schema: ${JSON.stringify(added.replayed.schemas.result)}`])
})

t.test('a tool call the recording has no run of that tool for is reported and answered with an error; no tool runs', async (t) => {
  const { recorded } = await bookingCall(t)
  const [call] = recorded.calls()
  const missing = await replayRecording([{ ...call, tools: call.tools?.slice(0, 3) }], line(nobody(), never(t)))
  t.match(missing.toolDifferences, [{ position: 4, recorded: undefined, replayed: { name: 'book', args: { time: '19:00' } } }])
  t.match(missing.modelDifferences, [{ position: 4 }])
  t.same(missing.modelDifferences[0].replayed.messages.at(-1), { role: 'tool', name: 'book', args: { time: '19:00', phone: '+********90' }, ok: false, result: 'the recording has no result for tool call 4 (book)', round: 1 })
  t.ok(replayReport(missing, paint(false)).includes('call b, tool call 4 (book): the recording has no result for it'))

  const renamed = await replayRecording([{ ...call, tools: call.tools?.map((tool, index) => index === 0 ? { ...tool, name: 'lookup' } : tool) }], line(nobody(), never(t)))
  t.match(renamed.toolDifferences, [{ position: 1, recorded: { name: 'lookup' }, replayed: { name: 'check' } }])
  t.match(renamed.modelDifferences, [{ position: 2 }, { position: 3 }, { position: 4 }], 'the model was given an error in place of the result, and it stays in the conversation')
  const lines = replayReport(renamed, paint(false))
  t.same(lines.slice(lines.indexOf('call b, tool call 1 (check): differs in tool; answered with an error')).slice(0, 3), ['call b, tool call 1 (check): differs in tool; answered with an error', '    recorded tool: "lookup"', '    replayed tool: "check"'])
})

t.test('a slow tool\'s line and a result that came after the reply deadline replay as they happened, over the webhook', async (t) => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => { open = resolve })
  const runs: Runs = { check: async () => { await opened; return { free: true } }, book: async () => ({ reference: 'L-1' }) }
  const slowLine = { after: 30, text: 'Still looking.' }
  const model = scriptedModel([{ text: 'Let me look.', tool: { name: 'check', args: { time: '19:00' } } }, 'Seven is free.', { tool: { name: 'done' } }])
  const { app, calls } = await recording(t, line(model, runs, { slowLine, timeout: 10 }), { replyTimeout: 300 })
  await post(app, event('session_start', 's'))
  const texts = async (text: string): Promise<unknown> => [(await post(app, event('user_speak', 's', { text }))).body].flat().map((action: { text?: string, type: string }) => action.text ?? action.type)
  t.same(await texts('Is seven free?'), ['Let me look.', 'Still looking.'], 'the slow line goes with the reply at its deadline')
  // The run began a little after the event: it ends well past the deadline, whatever the machine's load.
  await sleep(50)
  open()
  t.ok(await eventually(() => calls()[0]?.tools?.length === 1))
  t.ok((calls()[0].tools?.[0].ms ?? 0) >= 300, 'the run outlasted the reply deadline')
  t.ok(await eventually(async () => (await app.aiFlow.getCall('s'))?.pendingActions === 1))
  t.same(await texts('Thanks'), ['Seven is free.', 'Goodbye.', 'hangup'], 'the answer after the result leads the next reply')
  const result = await replayRecording(calls(), line(nobody(), never(t), { slowLine, timeout: 10 }))
  t.same([result.differences, result.modelDifferences, result.toolDifferences, result.errors], [[], [], [], []])
  const later = await replayRecording(calls(), line(nobody(), never(t), { slowLine: { after: 5000, text: 'Still looking.' }, timeout: 10 }))
  t.match(later.differences, [{ position: 2, recorded: [{ text: 'Let me look.' }, { text: 'Still looking.' }], replayed: [{ text: 'Let me look.' }] }], 'a slow line set later than the recorded run took is not said')
})

t.test('a tool stopped by barge-in over the WebSocket is recorded as stopped, and replays as it happened', async (t) => {
  const started: AbortSignal[] = []
  const runs: Runs = {
    check: async (_time, signal) => { started.push(signal); return await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))) },
    book: async () => ({ reference: 'L-1' })
  }
  const model = scriptedModel([{ text: 'Let me look.', tool: { name: 'check', args: { time: '19:00' } } }, 'Nine then.'])
  const { app, calls } = await recording(t, line(model, runs), { websocket: true })
  const client = await connect(app)
  t.teardown(() => client.close())
  client.send(event('session_start', 'w'))
  await client.next()
  client.send(event('user_speak', 'w', { text: 'Seven?' }))
  t.match(await client.next(), { text: 'Let me look.' })
  t.ok(await eventually(() => started.length === 1))
  client.send(event('user_speech_started', 'w'))
  t.match(await client.next(), { type: 'barge_in' })
  client.send(event('user_speak', 'w', { text: 'Nine, actually', barged_in: true }))
  t.match(await client.next(), { text: 'Nine then.' })
  t.ok(await eventually(() => calls()[0]?.tools?.length === 1))
  t.match(calls()[0].tools, [{ name: 'check', ok: false, aborted: true }])
  const result = await replayRecording(calls(), line(nobody(), never(t)))
  t.same([result.differences, result.modelDifferences, result.toolDifferences, result.errors], [[], [], [], []])
})

t.test('tool lines that are not tool runs are refused, naming the line; tool runs are ordered as they began', async (t) => {
  t.throws(() => parseRecording('{"tool":{"at":1}}'), /line 1 has a tool run without a "sessionId"/)
  t.throws(() => parseRecording('\n{"sessionId":"a","tool":null}'), /line 2 has a tool run without "at", "name", "schemas", "ok", "result" and "ms"/)
  const run = { at: 1, name: 'check', args: {}, key: 'k', schemas: { parameters: {} }, ok: true, result: 'x', ms: 5 }
  t.throws(() => parseRecording(JSON.stringify({ sessionId: 'a', tool: { ...run, schemas: null } })), /line 1 has a tool run without/)
  for (const field of ['at', 'name', 'ok', 'result', 'ms', 'schemas'] as const) {
    t.throws(() => parseRecording(JSON.stringify({ sessionId: 'a', tool: { ...run, [field]: undefined } })), /has a tool run without/, `without ${field}`)
  }
  const text = [{ ...run, at: 2, n: 1, name: 'second' }, { ...run, at: 1, n: 3, name: 'first' }, { ...run, at: 2, n: 2, name: 'third' }, { ...run, at: 2, name: 'unnumbered' }, { ...run, at: 2, name: 'unnumbered too' }]
    .map((tool) => JSON.stringify({ sessionId: 'a', tool })).join('\n')
  t.same(parseRecording(text)[0].tools?.map((tool) => tool.name), ['first', 'unnumbered', 'unnumbered too', 'second', 'third'])
})
