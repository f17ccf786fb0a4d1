import t from 'tap'
import { emit, setup, type AnyStateMachine, type AnyStateNode, type InspectionEvent } from 'xstate'
import { fragmentOf } from '../../lib/flow/fragments/exits'
import { flowVersionOf, hangup, setupFlow, speak } from '../../lib'
import { runScript } from '../../lib/testing'
import { coverageLines } from '../../lib/testing/coverage-record'
import { flowCoverage, readVisits, scriptText } from '../../lib/tools/coverage'
import { moveOf, shortestScripts } from '../../lib/tools/shortest-scripts'
import { demoFlow } from '../../examples/demo-flow'
import { flow as callbackFlow } from '../../examples/callback-flow'
import { flow as menuFlow } from '../fixtures/flows/menu'
import { flow as everyFragment } from '../fixtures/flows/every-fragment'

/** The states a script really visits, as the coverage record would have them. */
async function statesVisited (flow: AnyStateMachine, script: Parameters<typeof runScript>[1]): Promise<Set<string>> {
  const states = new Set<string>()
  const inspect = (event: InspectionEvent): void => {
    for (const line of coverageLines(event)) if ('state' in line) states.add(line.state)
  }
  await runScript(flow, script, { inspect })
  return states
}

for (const flow of [demoFlow, callbackFlow, menuFlow, everyFragment] as AnyStateMachine[]) {
  t.test(`${flow.id}: each script found reaches its state when the simulator plays it`, async (t) => {
    const scripts = shortestScripts(flow, { events: [{ type: 'user_speak', text: 'small' }] })
    t.ok(scripts.size > 2, 'scripts are found')
    for (const [node, script] of scripts) {
      t.ok((await statesVisited(flow, script)).has(node.id), `${node.id}: ${scriptText(script)}`)
    }
  })
}

t.test('the scripts are the shortest, and use the events the tests sent', async (t) => {
  const byId = (flow: AnyStateMachine, options = {}): Record<string, string> =>
    Object.fromEntries([...shortestScripts(flow, options)].map(([node, script]) => [node.id, scriptText(script)]))
  t.same(byId(menuFlow), {
    'menu.welcome': "await runScript(flow, ['start'])",
    'menu.menu': "await runScript(flow, ['start'])",
    'menu.sales': "await runScript(flow, ['start', { press: '1' }])",
    'menu.bye': "await runScript(flow, ['start', { press: '2' }])"
  })
  t.equal(byId(demoFlow)['conversation.bargeIn'], "await runScript(flow, ['start', { bargeIn: 'hello' }])", 'a transient state counts')
  t.equal(byId(demoFlow)['conversation.ended'], "await runScript(flow, ['start', { press: '9' }])", 'the flow hangs up, and the call ends')
  t.equal(byId(everyFragment).name, undefined, 'without the word small, no way to the name')
  t.equal(byId(everyFragment, { events: [{ type: 'user_speak', text: 'small' }] }).name, "await runScript(flow, ['start', { say: 'small' }])")
  t.equal(byId(everyFragment, { maxMoves: 1 }).size, "await runScript(flow, ['start'])")
  t.equal(byId(everyFragment, { maxMoves: 1 })['fragments.bye'], undefined, 'no longer script than maxMoves')
  t.same(Object.keys(byId(demoFlow, { maxSnapshots: 1 })), ['conversation.start', 'conversation.speaking'], 'the search stops at maxSnapshots')
})

t.test('delays are waited for when they are numbers; a flow that fails is not followed', async (t) => {
  const machine = setup({ delays: { patience: 2000, computed: () => 5 }, guards: { broken: () => { throw new Error('no') } } }).createMachine({
    id: 'timed',
    initial: 'idle',
    states: {
      idle: { on: { session_start: 'waiting', dtmf_received: { guard: 'broken', target: 'lost' } } },
      waiting: { after: { patience: 'later', computed: 'never' }, on: { dtmf_received: { guard: 'broken', target: 'lost' } } },
      later: { on: { session_start: 'output' } },
      output: { type: 'final' },
      never: {},
      lost: {}
    }
  })
  const found = Object.fromEntries([...shortestScripts(machine)].map(([node, script]) => [node.key, script]))
  t.same(found.later, ['start', { wait: 2000 }])
  t.same(found.output, ['start', { wait: 2000 }, 'transferFailed'])
  t.same([found.never, found.lost], [undefined, undefined])
})

t.test('a context JSON cannot write is told apart by its state value', async (t) => {
  const machine = setupFlow({ types: { context: {} as { big: bigint } } }).createMachine({
    id: 'big',
    context: { big: 1n },
    initial: 'idle',
    states: { idle: { on: { session_start: 'open' } }, open: { on: { dtmf_received: 'closed' } }, closed: {} }
  })
  t.same([...shortestScripts(machine)].map(([node, script]) => [node.key, script]), [['idle', ['start']], ['open', ['start']], ['closed', ['start', { press: '0' }]]])
})

t.test('outbound calls are searched too', async (t) => {
  const machine = setupFlow().createMachine({
    id: 'dir',
    context: ({ input }) => ({ outbound: input.session.direction === 'outbound' }),
    initial: 'idle',
    states: {
      idle: { on: { session_start: [{ guard: ({ context }) => context.outbound, target: 'calling' }, { target: 'answering' }] } },
      calling: { entry: [emit(speak('Hi')), emit(hangup())] },
      answering: {}
    }
  })
  const found = Object.fromEntries([...shortestScripts(machine)].map(([node, script]) => [node.key, script]))
  t.same(found.calling, [{ start: 'outbound' }])
  t.same(found.answering, ['start'])
})

t.test('moves for recorded events', async (t) => {
  t.same(moveOf({ type: 'user_speak', text: 'hi' }), { say: 'hi' })
  t.same(moveOf({ type: 'user_speak', text: 'hi', barged_in: true }), { bargeIn: 'hi' })
  t.same(moveOf({ type: 'dtmf_received', digit: '#' }), { press: '#' })
  t.same(moveOf({ type: 'user_input_timeout' }), 'silence')
  t.same(moveOf({ type: 'sms_failed', reason: 'x' }), { send: { type: 'sms_failed', reason: 'x' } })
})

t.test('scripts are written as code', async (t) => {
  t.equal(scriptText(['start', { say: "it's a \\ test" }, { wait: 20 }, { send: { type: 'x', 'a-b': null } }]),
    "await runScript(flow, ['start', { say: 'it\\'s a \\\\ test' }, { wait: 20 }, { send: { type: 'x', 'a-b': null } }])")
})

t.test('readVisits keeps the lines of this flow as it is now', async (t) => {
  const flow = flowVersionOf(menuFlow)
  const text = [
    JSON.stringify({ flow, state: 'menu.menu' }),
    JSON.stringify({ flow, transition: 'menu.welcome session_start 0' }),
    JSON.stringify({ flow, event: { type: 'dtmf_received', digit: '1' } }),
    JSON.stringify({ flow, event: { type: 'dtmf_received', digit: '1' } }),
    JSON.stringify({ flow: 'sha256:other', state: 'menu.bye' }),
    '',
    JSON.stringify({ flow, note: 'unknown lines are no visit' })
  ].join('\n')
  const visits = readVisits(text, menuFlow)
  t.same([...visits.states], ['menu.menu'])
  t.same([...visits.transitions], ['menu.welcome session_start 0'])
  t.same(visits.events, [{ type: 'dtmf_received', digit: '1' }])
  t.throws(() => readVisits('{"flow":\nnot json', menuFlow), new SyntaxError('line 1 is not JSON: {"flow":'))
})

t.test('flowCoverage counts states and transitions, and scripts the states never visited', async (t) => {
  const flow = flowVersionOf(menuFlow)
  const lines = ['menu.welcome', 'menu.menu'].map((state) => JSON.stringify({ flow, state }))
  lines.push(JSON.stringify({ flow, transition: 'menu.welcome session_start 0' }))
  const coverage = flowCoverage(menuFlow, readVisits(lines.join('\n'), menuFlow))
  t.same([coverage.states.total, coverage.states.visited], [4, 2])
  t.same(coverage.states.unvisited.map(({ node, script }) => [node.id, script]), [['menu.sales', ['start', { press: '1' }]], ['menu.bye', ['start', { press: '2' }]]])
  t.same([coverage.transitions.total, coverage.transitions.taken, coverage.transitions.untaken.length], [8, 1, 7])
  const all = ['menu.welcome', 'menu.menu', 'menu.sales', 'menu.bye'].map((state) => JSON.stringify({ flow, state })).join('\n')
  t.same(flowCoverage(menuFlow, readVisits(all, menuFlow)).states.unvisited, [], 'no search when every state was visited')
  const lost = setupFlow().createMachine({ id: 'lost', initial: 'a', states: { a: {}, b: {} } })
  const one = JSON.stringify({ flow: flowVersionOf(lost), state: 'lost.a' })
  t.same(flowCoverage(lost, readVisits(one, lost)).states.unvisited.map((state) => Object.keys(state)), [['node']], 'no script for a state nothing reaches')
})

t.test('flowCoverage counts a fragment as one state with its exits; expand counts its inside and its plumbing', async (t) => {
  const none = readVisits('', everyFragment)
  const collapsed = flowCoverage(everyFragment, none)
  const expanded = flowCoverage(everyFragment, none, { expand: true })
  const within = (node: AnyStateNode, outer: AnyStateNode): boolean => node !== outer && node.path.join('.').startsWith(outer.path.join('.') + '.')
  const fragments = collapsed.states.unvisited.map(({ node }) => node).filter((node) => fragmentOf(node) !== undefined)
  t.ok(fragments.length >= 3, 'the fragments are counted, as states')
  t.notOk(collapsed.states.unvisited.some(({ node }) => fragments.some((fragment) => node.id.startsWith(fragment.id + '.'))), 'nothing inside them is')
  t.ok(expanded.states.total > collapsed.states.total, `expanded, their inside counts too (${collapsed.states.total} → ${expanded.states.total})`)
  const plumbing = ({ node, transition }: { node: AnyStateNode, transition: { target?: readonly AnyStateNode[] } }): boolean =>
    fragmentOf(node) !== undefined && (transition.target ?? []).every((target) => within(target, node))
  t.notOk(collapsed.transitions.untaken.some(plumbing), "a fragment's transitions that stay inside it are not the author's")
  t.ok(expanded.transitions.untaken.some(plumbing), 'expanded, they count')
  t.ok(collapsed.transitions.untaken.every(({ node }) => !fragments.some((fragment) => within(node, fragment))), 'no transition from inside a fragment')
})

t.test("a transition of a fragment's own state into its inside is plumbing too; one back to the fragment itself is an exit", async (t) => {
  const flow = setup({}).createMachine({
    id: 'own',
    initial: 'ask',
    states: {
      ask: {
        meta: { fragment: 'prompt' },
        initial: 'listening',
        states: { listening: {}, again: {} },
        on: { user_speak: '.again', dtmf_received: { target: 'ask', reenter: true }, session_end: 'bye' }
      },
      bye: {}
    }
  })
  const none = readVisits('', flow)
  t.same(flowCoverage(flow, none).transitions.untaken.map(({ eventType }) => eventType), ['dtmf_received', 'session_end'])
  t.same(flowCoverage(flow, none, { expand: true }).transitions.untaken.map(({ eventType }) => eventType), ['user_speak', 'dtmf_received', 'session_end'])
})
