import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { createActor, emit, waitFor, type AnyStateMachine } from 'xstate'
import { agent, fastifyAiFlow, functionTool, hangup, setupFlow, speak, type AgentMemory, type AgentModel, type FunctionTool } from '../../lib'
import { scriptedModel, type ScriptedAnswer } from '../../lib/testing'
import { event, eventually, post } from '../fixtures/helpers'
import { connect, type Client } from '../fixtures/ws-client'

const SLOT = Type.Object({ time: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) })
const FREE = Type.Object({ free: Type.Boolean() })

/** A deferred the test settles by hand: a tool that answers when the test says so. */
function gate<T> (): { promise: Promise<T>, open: (value: T) => void, fail: (error: Error) => void } {
  let open!: (value: T) => void
  let fail!: (error: Error) => void
  const promise = new Promise<T>((resolve, reject) => { open = resolve; fail = reject })
  return { promise, open, fail }
}

/** What each run of the check tool was given, in order. */
interface Run { time: string, key: string, signal: AbortSignal, context: Record<string, unknown> }

/** A flow with one agent: `check` looks up a slot (answered by `answer`), `done` leaves it. */
function flow (model: AgentModel, check: Partial<FunctionTool<typeof SLOT, typeof FREE>> & { answer: (run: Run) => Promise<{ free: boolean }> | { free: boolean } }, runs: Run[], toolRounds?: number) {
  const { answer, ...rest } = check
  return setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'Check before you answer.',
        greeting: 'Hello.',
        ...(toolRounds === undefined ? {} : { toolRounds }),
        functions: {
          check: functionTool({
            description: 'Whether a time is free',
            parameters: SLOT,
            result: FREE,
            run: async ({ args, key, signal, context }) => {
              const run = { time: args.time, key, signal, context }
              runs.push(run)
              return await answer(run)
            },
            ...rest
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

async function webhook (t: { teardown: (fn: () => unknown) => void }, machine: ReturnType<typeof flow>, replyTimeout = 2000): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: machine, replyTimeout })
  // Listening: a reply waiting on its deadline waits on an unref'd timer.
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return app
}

async function socket (t: { teardown: (fn: () => unknown) => void }, machine: ReturnType<typeof flow>): Promise<{ app: FastifyInstance, client: Client }> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: machine, websocket: true, replyTimeout: 2000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const client = await connect(app)
  t.teardown(async () => { await client.close(); await app.close() })
  return { app, client }
}

const texts = (body: unknown): unknown[] => (body === undefined ? [] : Array.isArray(body) ? body : [body]).map((action: any) => action.type === 'speak' ? action.text : action.type)

async function next (client: Client): Promise<unknown[]> {
  return texts(await client.next())
}

const checking = (time: string, text?: string): ScriptedAnswer => ({ ...(text === undefined ? {} : { text }), tool: { name: 'check', args: { time } } })

async function memory (app: FastifyInstance, id: string): Promise<AgentMemory> {
  return ((await app.aiFlow.getCall(id))?.context as { agent: AgentMemory }).agent
}

t.test('over the webhook, a function tool\'s result reaches the model in the same caller turn, and its answer leads the reply', async (t) => {
  const model = scriptedModel([checking('19:00', 'Let me look.'), 'Seven is free.'])
  const runs: Run[] = []
  const app = await webhook(t, flow(model, { answer: () => ({ free: true }) }, runs))
  await post(app, event('session_start', 'c'))
  const reply = await post(app, event('user_speak', 'c', { text: 'Is seven free?' }))
  t.same(texts(reply.body), ['Let me look.', 'Seven is free.'], 'what the model said before the call leads the reply, its answer after the result follows')
  t.equal(runs.length, 1)
  t.equal(runs[0].time, '19:00', 'the tool got the arguments the model gave')
  t.match(runs[0].key, /^c:\d+\.\d+:/, 'and the key of its work, made from the call')
  t.match(runs[0].context, { agent: { messages: [{ role: 'assistant', text: 'Hello.' }] } }, 'and the flow\'s context')
  t.equal(runs[0].signal.aborted, false)
  t.same(model.requests[1].messages.slice(-2), [
    { role: 'assistant', text: 'Let me look.' },
    { role: 'tool', name: 'check', args: { time: '19:00' }, ok: true, result: '{"free":true}', round: 1 }
  ], 'the model\'s next step sees the result')
  t.same(model.requests[0].tools.map((tool) => tool.name), ['done', 'check'], 'the model is offered transitions and functions')
  const kept = await memory(app, 'c')
  t.equal(kept.calls, undefined, 'no call is left running')
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'listening' })
})

t.test('the calls of one model step run side by side, each with its own key, and the model may then take a transition', async (t) => {
  const model = scriptedModel([{ tools: [{ name: 'check', args: { time: '19:00' } }, { name: 'check', args: { time: '20:00' } }] }, { tool: { name: 'done' } }])
  const runs: Run[] = []
  const both = gate<void>()
  const app = await webhook(t, flow(model, {
    answer: async (run) => {
      // Neither answers before both have started: run one after the other, they would wait for ever.
      if (runs.length === 2) both.open()
      await both.promise
      return { free: run.time === '20:00' }
    }
  }, runs))
  await post(app, event('session_start', 'c'))
  const reply = await post(app, event('user_speak', 'c', { text: 'Seven or eight?' }))
  t.same(texts(reply.body), ['Goodbye.', 'hangup'])
  t.not(runs[0].key, runs[1].key)
  t.same(model.requests[1].messages.slice(-2).map((message) => message.role === 'tool' && [message.args, message.result, message.round]), [
    [{ time: '19:00' }, '{"free":false}', 1],
    [{ time: '20:00' }, '{"free":true}', 1]
  ], 'both results, in the order of the calls')
})

t.test('a failing tool, a tool past its timeout, a result that does not fit and arguments that do not fit go back to the model as errors', async (t) => {
  const model = scriptedModel([
    checking('19:00'), // throws
    checking('20:00'), // never answers: timed out, and its signal aborts
    checking('21:00'), // answers what its schema does not allow
    checking('22:00'), // answers no object at all
    checking('seven'), // does not fit: not run
    'Sorry, I cannot check.'
  ])
  const runs: Run[] = []
  const app = await webhook(t, flow(model, {
    timeout: 0.05,
    answer: async (run) => {
      if (run.time === '19:00') throw new Error('the calendar is down')
      if (run.time === '21:00') return { free: 'maybe' } as never
      if (run.time === '22:00') return 'free' as never
      return await new Promise(() => {})
    }
  }, runs, 6))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Is seven free?' }))).body), ['Sorry, I cannot check.'])
  const results = (await memory(app, 'c')).messages.filter((message) => message.role === 'tool')
  t.match(results, [
    { ok: false, result: 'the calendar is down', round: 1 },
    { ok: false, result: 'check took longer than 0.05 s', round: 2 },
    { ok: false, result: /^check gave an invalid result: \/free: /, round: 3 },
    { ok: false, result: /^check gave an invalid result: result: /, round: 4 },
    { ok: false, result: /^invalid arguments for "check": \/time: / }
  ])
  t.equal((results[4] as { round?: number }).round, undefined, 'a step with no call that fits is refused, as a transition\'s is, and asked again')
  t.same(runs.map((run) => run.time), ['19:00', '20:00', '21:00', '22:00'], 'arguments that do not fit run nothing')
  t.equal(runs[1].signal.aborted, true, 'the timed-out run was aborted')
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'listening' }, 'the model recovered: the flow stays')
})

t.test('one round of tools more than toolRounds in a caller turn takes onError; the next turn counts again', async (t) => {
  const model = scriptedModel([checking('19:00'), checking('20:00'), checking('21:00')])
  const runs: Run[] = []
  const app = await webhook(t, flow(model, { answer: () => ({ free: false }) }, runs, 2))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Anything free?' }))).body), ['Sorry.'])
  t.equal(runs.length, 2, 'the third round did not run')
  t.match((await app.aiFlow.getCall('c'))?.state, 'sorry')
})

t.test('over the WebSocket, what the model says before a tool goes at once, and a slow tool gets its line', async (t) => {
  const model = scriptedModel([{ text: 'Let me look.', tools: [{ name: 'check', args: { time: '19:00' } }, { name: 'check', args: { time: '20:00' } }] }, 'Seven is free.'])
  const runs: Run[] = []
  const answer = gate<{ free: boolean }>()
  // Each run first outlasts its own slow timer, set just before the run starts: both calls' lines come due, whatever the machine's pace, and one is said.
  const outlast = async (): Promise<void> => await new Promise((resolve) => setTimeout(resolve, 20))
  const { client } = await socket(t, flow(model, { slowLine: { after: 20, text: 'Still looking.' }, answer: async () => { await outlast(); return await answer.promise } }, runs))
  client.send(event('session_start', 'c'))
  t.same(await next(client), ['Hello.'])
  client.send(event('user_speak', 'c', { text: 'Is seven free?' }))
  t.same(await next(client), ['Let me look.'], 'said while the tool runs')
  t.same(await next(client), ['Still looking.'], 'the slow line, once the tools ran past their threshold: one for the round')
  answer.open({ free: true })
  t.same(await next(client), ['Seven is free.'])
  t.equal(client.queued, 0, 'the line was said once')
})

t.test('barge-in aborts a running tool, and the model is not asked again', async (t) => {
  const model = scriptedModel([checking('19:00', 'Let me look.'), 'Of course, nine then.'])
  const runs: Run[] = []
  const { app, client } = await socket(t, flow(model, { answer: async ({ signal }) => await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) }, runs))
  client.send(event('session_start', 'c'))
  await next(client)
  client.send(event('user_speak', 'c', { text: 'Is seven free?' }))
  t.same(await next(client), ['Let me look.'])
  await eventually(() => runs.length === 1)
  client.send(event('user_speech_started', 'c'))
  t.same(await next(client), ['barge_in'])
  t.ok(await eventually(() => runs[0].signal.aborted), 'the signal aborted')
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'listening' })
  client.send(event('user_speak', 'c', { text: 'Nine, actually.', barged_in: true }))
  t.same(await next(client), ['Of course, nine then.'])
  t.equal(model.requests.length, 2)
})

t.test('a mustFinish tool keeps running through barge-in and the caller\'s turn, and its result reaches the model with that turn', async (t) => {
  const model = scriptedModel([checking('19:00', 'Booking it now.'), 'Booked, and yes, we have high chairs.'])
  const runs: Run[] = []
  const answer = gate<{ free: boolean }>()
  const { app, client } = await socket(t, flow(model, { mustFinish: true, answer: async () => await answer.promise }, runs))
  client.send(event('session_start', 'c'))
  await next(client)
  client.send(event('user_speak', 'c', { text: 'Book seven.' }))
  t.same(await next(client), ['Booking it now.'])
  await eventually(() => runs.length === 1)
  client.send(event('user_speech_started', 'c'))
  t.same(await next(client), ['barge_in'], 'the line playing stops')
  client.send(event('user_speech_started', 'c'))
  client.send(event('user_speak', 'c', { text: 'Do you have high chairs?', barged_in: true }))
  t.ok(await eventually(async () => (await memory(app, 'c')).messages.at(-1)?.role === 'caller'))
  t.equal(runs[0].signal.aborted, false, 'the booking was not aborted')
  t.match((await app.aiFlow.getCall('c'))?.state, { host: 'working' })
  answer.open({ free: true })
  t.same(await next(client), ['Booked, and yes, we have high chairs.'])
  t.match(model.requests[1].messages.slice(-2), [{ role: 'caller', text: 'Do you have high chairs?' }, { role: 'tool', ok: true }])
})

t.test('hang-up aborts a running tool', async (t) => {
  const model = scriptedModel([checking('19:00')])
  const runs: Run[] = []
  const app = await webhook(t, flow(model, { answer: async () => await new Promise(() => {}) }, runs), 50)
  await post(app, event('session_start', 'c'))
  await post(app, event('user_speak', 'c', { text: 'Is seven free?' }))
  t.ok(await eventually(() => runs.length === 1))
  await post(app, event('session_end', 'c'))
  t.ok(await eventually(() => runs[0].signal.aborted), 'the signal aborted')
})

t.test('app.close() aborts a running tool through its signal, and waits for it to settle', async (t) => {
  const model = scriptedModel([checking('19:00')])
  const runs: Run[] = []
  let settled = false
  const answer = async ({ signal }: Run): Promise<{ free: boolean }> => await new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => { settled = true; reject(signal.reason) })
  })
  const app = await webhook(t, flow(model, { answer }, runs), 50)
  await post(app, event('session_start', 'c'))
  await post(app, event('user_speak', 'c', { text: 'Is seven free?' }))
  t.ok(await eventually(() => runs.length === 1))
  await app.close()
  t.equal(runs[0].signal.aborted, true, 'the signal aborted')
  t.equal(settled, true, 'the tool had settled when close resolved')
})

t.test('a tool returning text gives it to the model as it is; a tool without a result schema returns anything', async (t) => {
  const model = scriptedModel([{ tools: [{ name: 'note', args: {} }, { name: 'count', args: {} }] }, 'Done.'])
  const machine = setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        instructions: 'x',
        functions: {
          note: functionTool({ description: 'A note', parameters: Type.Object({}), run: () => 'free at seven' }),
          count: functionTool({ description: 'A count', parameters: Type.Object({}), run: () => undefined })
        },
        tools: {},
        onError: 'start'
      })
    }
  })
  const app = await webhook(t, machine as never)
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Hi' }))).body), ['Done.'])
  t.same(model.requests[1].messages.slice(-2).map((message) => message.role === 'tool' && message.result), ['free at seven', 'null'])
})

t.test('function tools are checked when the flow is built', async (t) => {
  const base = { id: 'host', model: scriptedModel([]), instructions: 'x', tools: { done: { description: 'd', parameters: Type.Object({}), then: 'x' } }, onError: 'x' }
  const run = (): string => ''
  const cases: Array<[unknown, RegExp]> = [
    [{ functions: 'no' }, /functions must be an object/],
    [{ functions: { 'a b': { parameters: Type.Object({}), run } } }, /function tool name "a b"/],
    [{ functions: { done: { parameters: Type.Object({}), run } } }, /done is both a tool and a function tool/],
    [{ functions: { f: { run } } }, /function tool f needs parameters/],
    [{ functions: { f: { parameters: Type.Object({}) } } }, /function tool f needs run/],
    [{ functions: { f: { parameters: Type.Object({}), run, timeout: 0 } } }, /f: timeout must be a positive number/],
    [{ functions: { f: { parameters: Type.Object({}), run, slowLine: { after: 10 } } } }, /f: slowLine must be/],
    [{ toolRounds: 0 }, /toolRounds must be a positive integer/]
  ]
  for (const [options, message] of cases) t.throws(() => agent({ ...base, ...(options as object) } as never), message)
  t.doesNotThrow(() => agent({ ...base, functions: { f: { description: 'f', parameters: Type.Object({}), run, timeout: 1, slowLine: { after: 0, text: 'One moment.' } } } } as never))
})

t.test('a step with a call that fits and one that does not runs the one, and gives the other back as an error in the same round', async (t) => {
  const model = scriptedModel([{ tools: [{ name: 'check', args: { time: 'seven' } }, { name: 'check', args: { time: '19:00' } }] }, 'Seven is free.'])
  const runs: Run[] = []
  const app = await webhook(t, flow(model, { answer: () => ({ free: true }) }, runs))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Is seven free?' }))).body), ['Seven is free.'])
  t.same(runs.map((run) => run.time), ['19:00'])
  t.match(model.requests[1].messages.slice(-2), [
    { role: 'tool', args: { time: 'seven' }, ok: false, result: /^invalid arguments for "check"/, round: 1 },
    { role: 'tool', args: { time: '19:00' }, ok: true, round: 1 }
  ])
})

t.test('a scripted model per call counts a round of function calls as one more request, however many calls it had', async (t) => {
  const model = scriptedModel([
    { tools: [{ name: 'check', args: { time: '19:00' } }, { name: 'check', args: { time: '20:00' } }] },
    checking('21:00'),
    'Nine is free.',
    'Goodbye then.'
  ], { perCall: true })
  const app = await webhook(t, flow(model, { answer: () => ({ free: true }) }, []))
  await post(app, event('session_start', 'c'))
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'What is free?' }))).body), ['Nine is free.'])
  t.same(texts((await post(app, event('user_speak', 'c', { text: 'Thanks.' }))).body), ['Goodbye then.'])
})

t.test('outside the plugin, a function tool\'s key is its invocation\'s id', async (t) => {
  const runs: Run[] = []
  const machine: AnyStateMachine = flow(scriptedModel([checking('19:00'), 'Free.']), { answer: () => ({ free: true }) }, runs)
  const actor = createActor(machine).start()
  t.teardown(() => actor.stop())
  actor.send(event('session_start', 'c') as never)
  actor.send(event('user_speak', 'c', { text: 'Is seven free?' }) as never)
  await waitFor(actor, (snapshot) => snapshot.matches({ host: 'listening' }) && runs.length === 1)
  t.equal(runs[0].key, 'host.tools')
})
