import t from 'tap'
import { Type } from '@sinclair/typebox'
import { createMachine, emit, fromPromise, setup } from 'xstate'
import { agent, functionTool, MemoryStore, setupFlow, speak, type AgentMemory } from '../../lib'
import { scriptedModel } from '../../lib/testing'
import { CallTelemetry, type CallSummary } from '../../lib/telemetry'
import { functionToolNames } from '../../lib/telemetry/tool-kinds'
import { SessionRegistry, type ToolCallNews } from '../../lib/sessions'

// No OpenTelemetry SDK is registered in this process: telemetry is off, and the summary line alone counts the agent turns.
const quiet = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, fatal: () => {}, child: () => quiet, level: 'info' } as never

function summaries (): { log: { info: (obj: object) => void }, lines: CallSummary[] } {
  const lines: CallSummary[] = []
  return { lines, log: { info: (obj) => { lines.push((obj as { call: CallSummary }).call) } } }
}

const session = (id: string) => ({ id })

t.test('with telemetry off, the summary line counts the agent turns: tools, rounds, model time and the first sentence', async (t) => {
  const { log, lines } = summaries()
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log, tools: ['check'] })
  t.equal(telemetry.enabled, false)
  t.equal(telemetry.eventStarted({ type: 'session_start', session: session('ws') }, 'websocket'), undefined, 'still nothing made for an event')
  telemetry.agentTurnStarted('ws', 'host')
  const model = telemetry.modelStarted('ws')
  model()
  const tool = telemetry.toolStarted('ws', 'check', 1)
  tool('ok')
  telemetry.toolStarted('ws', 'check', 2)('timeout')
  telemetry.actionEmitted('ws', 'speak', true)
  telemetry.actionEmitted('ws', 'speak', true)
  telemetry.agentTurnEnded('ws', 'answer')
  telemetry.agentTurnEnded('ws', 'answer')
  await Promise.resolve()
  telemetry.callEnded('ws', 'session_end', 'host')
  t.match(lines[0].agent, { turns: 1, toolCalls: 2, toolFailures: 1, toolRounds: 2, modelMs: Number, firstSentenceMs: { mean: Number, max: Number } })
})

t.test('over the webhook the first sentence leaves with the next reply; turns still open when the call ends or leaves are cut off', async (t) => {
  const { log, lines } = summaries()
  const telemetry = new CallTelemetry({ flowVersion: 'v1', log })
  telemetry.replied('nobody')
  telemetry.agentTurnStarted('nobody', 'host')
  telemetry.agentTurnEnded('nobody', 'answer')
  telemetry.modelStarted('nobody')()
  telemetry.eventStarted({ type: 'session_start', session: session('http') }, 'http')
  telemetry.replied('http')
  telemetry.agentTurnStarted('http', 'host')
  telemetry.actionEmitted('http', 'speak', false)
  // The caller spoke again before the reply went: the first turn was cut off, its sentence still to leave.
  telemetry.agentTurnStarted('http', 'host')
  telemetry.actionEmitted('http', 'hangup', false)
  telemetry.replied('http')
  telemetry.agentTurnEnded('http', 'transition')
  telemetry.actionEmitted('http', 'speak', false)
  await Promise.resolve()
  // This one's sentence waits for a reply that never comes: the call ends first.
  telemetry.callEnded('http', 'session_end', undefined)
  t.match(lines[0].agent, { turns: 2, toolCalls: 0, firstSentenceMs: { mean: Number } })

  telemetry.eventStarted({ type: 'session_start', session: session('left') }, 'http')
  telemetry.agentTurnStarted('left', 'host')
  telemetry.callLeft('left')
  telemetry.callLeft('left')
  t.equal(lines.length, 1, 'a call that left has no summary here')
  telemetry.eventStarted({ type: 'session_start', session: session('plain') }, 'http')
  telemetry.callEnded('plain', 'session_end', undefined)
  t.equal(lines[1].agent, undefined, 'a call without agent turns says nothing of them')
})

t.test('the registry measures only flows with an agent state, and tells its tool watchers of each run, telemetry or not', async (t) => {
  const machine = setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model: scriptedModel([{ tools: [{ name: 'lookup', args: { order: 4711 } }] }, 'Packed.']),
        instructions: 'Look it up.',
        functions: { lookup: functionTool({ description: 'An order', parameters: Type.Object({ order: Type.Integer() }), run: () => ({ status: 'packed' }) }) },
        tools: {},
        onError: 'sorry'
      }),
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
  const registry = new SessionRegistry({ flow: machine, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 2000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log: quiet })
  t.teardown(() => registry.close())
  const heard: Array<[string, ToolCallNews]> = []
  const stop = registry.watchTools((id, news) => { heard.push([id, news]) })
  await registry.dispatch({ type: 'session_start', session: { id: 'w' } } as never, { log: quiet })
  const reply = await registry.dispatch({ type: 'user_speak', text: 'Where is it?', session: { id: 'w' } } as never, { log: quiet })
  t.match(reply, [{ type: 'speak', text: 'Packed.' }])
  t.match(heard, [['w', { name: 'lookup', args: { order: 4711 }, round: 1, outcome: 'ok', result: '{"status":"packed"}' }]])
  t.type(heard[0][1].ms, 'number')
  stop()
  await registry.dispatch({ type: 'user_speak', text: 'Thanks.', session: { id: 'w' } } as never, { log: quiet }).catch(() => [])
  t.equal(heard.length, 1, 'a watcher stopped hears no more')
})

t.test('the function tools a flow declares, in its agent states and in the machines it invokes', async (t) => {
  const host = (id: string, functions: string[]) => agent({
    id,
    model: scriptedModel([]),
    instructions: 'x',
    functions: Object.fromEntries(functions.map((name) => [name, functionTool({ description: name, parameters: Type.Object({}), run: () => 'ok' })])),
    tools: {},
    onError: 'done'
  }) as never
  const child = createMachine({ initial: 'desk', states: { desk: host('desk', ['refund']), done: {} } })
  const named = createMachine({ initial: 'billing', states: { billing: host('billing', ['invoice']), done: {} } })
  const parent = setup({ actors: { named, work: fromPromise(async () => 1) } }).createMachine({
    initial: 'front',
    states: {
      front: host('front', ['lookup', 'book']),
      done: {},
      both: { invoke: [{ src: child }, { src: 'named' }, { src: 'work' }] }
    }
  })
  t.same([...functionToolNames([parent]) ?? []].sort(), ['book', 'invoice', 'lookup', 'refund'])
  t.equal(functionToolNames([createMachine({ initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } })]), undefined, 'none for a flow without an agent state')
})
