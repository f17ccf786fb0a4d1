import t from 'tap'
import { and, createMachine, fromPromise, not, or, setup } from 'xstate'
import { ACTIVE_CLASS, guardName, toMermaid, transitionLabel } from '../../lib/tools/mermaid'
import { activeStateIds } from '../../lib/tools/state-value'
import { mermaidText } from '../../lib/tools/mermaid-text'
import { flow as parallel } from '../fixtures/flows/parallel'

const flow = setup({
  actors: { askLlm: fromPromise(async () => 'ok') },
  guards: { isYes: () => true },
  delays: { patience: 8000 }
}).createMachine({
  id: 'booking',
  initial: 'greeting',
  on: { session_end: '.ended' },
  states: {
    greeting: {
      on: {
        user_speak: [{ target: 'thinking', guard: 'isYes' }, { target: 'greeting', reenter: true, guard: ({ event }) => event.type === 'x' }],
        dtmf_received: { actions: [] }
      },
      after: { 5000: 'menu', patience: 'ended' }
    },
    thinking: {
      invoke: { id: 'llm', src: 'askLlm', onDone: 'menu', onError: 'greeting' },
      always: { target: 'menu', guard: not('isYes') }
    },
    menu: {
      initial: 'ask',
      onDone: 'both',
      states: {
        ask: { on: { 'press#': 'chosen' } },
        chosen: { type: 'final' }
      }
    },
    both: {
      type: 'parallel',
      states: {
        music: { initial: 'on', states: { on: {} } },
        talk: { initial: 'idle', states: { idle: { on: { back: 'hist' } }, hist: { type: 'history', history: 'deep' } } }
      }
    },
    ended: { type: 'final' },
    state: {}
  }
})

t.test('draws every state, initial and final states, and every transition with a target', async (t) => {
  const diagram = toMermaid(flow)
  const lines = diagram.split('\n').map((line) => line.trim())
  t.equal(lines[0], 'stateDiagram-v2')
  t.equal(lines[1], 'direction TB')
  for (const expected of [
    '[*] --> greeting',
    'state "greeting" as greeting',
    'greeting --> thinking : user_speak [isYes]',
    'greeting --> greeting : user_speak [guard]',
    'greeting --> menu : after 5000 ms',
    'greeting --> ended : after patience',
    'thinking : invokes askLlm',
    'thinking --> menu : done: askLlm',
    'thinking --> greeting : error: askLlm',
    'thinking --> menu : always [not isYes]',
    'state "menu" as menu {',
    '[*] --> menu_ask',
    'menu_ask --> menu_chosen : press#35;',
    'menu_chosen --> [*]',
    'menu --> both : done',
    'state "both" as both {',
    '--',
    'state "H*" as both_talk_hist',
    'both_talk_idle --> both_talk_hist : back',
    'ended --> [*]',
    'state "state" as s_state',
    'state "any state" as any_state',
    'any_state --> ended : session_end'
  ]) t.ok(lines.includes(expected), expected)
  t.notOk(diagram.includes('dtmf_received'), 'a transition without a target is not drawn')
  t.notOk(diagram.includes(ACTIVE_CLASS + ' '), 'nothing is highlighted without a state value')
  t.ok(diagram.endsWith('\n'))
})

t.test('highlights the active atomic states of a state value', async (t) => {
  const diagram = toMermaid(flow, { highlight: { both: { music: 'on', talk: 'idle' } }, direction: 'LR' })
  t.match(diagram, /direction LR/)
  t.match(diagram, /classDef active fill:/)
  t.match(diagram, /\n {2}class both_music_on,both_talk_idle active\n/)
  t.match(toMermaid(flow, { highlight: 'greeting' }), /class greeting active/)
  t.notMatch(toMermaid(flow, { highlight: 'gone' }), /class \S+ active/, 'a state the flow does not have highlights nothing')
})

t.test('a machine without transitions of its own has no "any state"', async (t) => {
  const plain = createMachine({ initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } })
  const diagram = toMermaid(plain)
  t.notMatch(diagram, /any_state/)
  t.match(diagram, /a --> b : go/)
})

t.test('ids stay valid and unique whatever the state names', async (t) => {
  const odd = createMachine({
    initial: '1',
    states: {
      1: { invoke: { src: fromPromise(async () => 1), onDone: 'a_b' } },
      a_b: { on: { go: { target: 'a.b', guard: { type: 'isFar', params: { km: 3 } } }, 'xstate.done.actor.spawned': 'x y' } },
      a: { initial: 'b', states: { b: {}, h: { type: 'history' } } },
      'x y': {}
    }
  })
  const diagram = toMermaid(odd)
  t.match(diagram, /\[\*\] --> s_1\n/)
  t.match(diagram, /s_1 : invokes actor\n/, 'inline logic has no name of its own')
  t.match(diagram, /s_1 --> a_b : done: actor\n/)
  t.match(diagram, /state "b" as a_b_2\n/, 'the nested state gets another id than the state named a_b')
  t.match(diagram, /state "x y" as x_y\n/)
  t.match(diagram, /state "H" as a_h\n/, 'a shallow history state')
  t.match(diagram, /a_b --> a_b_2 : go \[isFar\]\n/, 'a guard with parameters is named by its type')
  t.match(diagram, /a_b --> x_y : done: spawned\n/, 'the done event of an actor the state did not invoke names its id')
})

t.test('the active state ids of a state value, parents first', async (t) => {
  t.same(activeStateIds(flow, { menu: 'ask' }), ['booking.menu', 'booking.menu.ask'])
  t.same(activeStateIds(flow, { menu: 'nope', gone: 'x' }), ['booking.menu'])
  t.same(activeStateIds(flow, { menu: 42 } as never), ['booking.menu'])
  t.same(activeStateIds(flow, 'ended'), ['booking.ended'])
})

t.test('labels keep letters and escape what Mermaid would read as syntax', async (t) => {
  t.equal(mermaidText('user_speak [ok]'), 'user_speak [ok]')
  t.equal(mermaidText('a;b\n"c"'), 'a#59;b #34;c#34;')
  t.equal(mermaidText('done: llm'), 'done: llm')
})

t.test('guards and delays are shown by name', async (t) => {
  function isLate (): boolean { return false }
  const named = setup({ guards: { isYes: () => true, isNo: () => false }, delays: { wait: 10 } }).createMachine({
    initial: 'a',
    states: {
      a: {
        on: {
          both: { target: 'b', guard: and(['isYes', 'isNo']) },
          either: { target: 'b', guard: or(['isYes', isLate]) },
          late: { target: 'b', guard: isLate }
        },
        after: { [String(1000)]: 'b' }
      },
      b: { after: { wait: 'a' } }
    }
  })
  const diagram = toMermaid(named)
  t.match(diagram, /a --> b : both \[isYes and isNo\]\n/)
  t.match(diagram, /a --> b : either \[isYes or isLate\]\n/)
  t.match(diagram, /a --> b : late \[isLate\]\n/)
  t.match(diagram, /a --> b : after 1000 ms\n/)
  t.match(diagram, /b --> a : after wait\n/)
})

t.test('a delay given as a function is named by its name, or "delay"', async (t) => {
  const node = { after: [{ eventType: 'xstate.after.f', delay: function slowly () { return 1 } }, { eventType: 'xstate.after.g', delay: (() => () => 1)() }], invoke: [] }
  t.equal(transitionLabel(node as never, { eventType: 'xstate.after.f', guard: undefined } as never), 'after slowly')
  t.equal(transitionLabel(node as never, { eventType: 'xstate.after.g', guard: undefined } as never), 'after delay')
  t.equal(guardName(Object.assign(() => true, {})), 'guard', 'an anonymous inline guard')
  t.equal(guardName({}), 'guard', 'a guard object without a type')
  t.equal(guardName(not(or(['a', 'b']))), 'not a or b')
})

t.test('a parallel state: no transition after a region separator, every state declared in its own block', async (t) => {
  const lines = toMermaid(parallel).split('\n')
  const block = lines.slice(lines.indexOf('  state "p" as p {'), lines.indexOf('  }') + 1)
  const regionB = block.slice(block.indexOf('    --') + 1)
  t.same(regionB.filter((line) => line.includes('-->')).map((line) => line.trim()), [
    '[*] --> p_b_x',
    '[*] --> p_b_y_inner',
    'p_b_x --> p_b_y : user_speak',
    'p_b_y_inner --> p_b_x : user_input_timeout'
  ], 'region b holds only lines between its own states, inside its own block')
  t.ok(lines.indexOf('  state "done" as done') > lines.indexOf('  }'), 'done is declared at the top, after the parallel block')
  t.ok(lines.includes('  p_a --> done : dtmf_received'), 'a transition out of a region is written where both ends are declared')
  t.ok(lines.includes('  p_a --> p_b_y : user_speech_started'), 'a transition between regions is written outside the parallel block')
  t.ok(lines.indexOf('  p_a --> done : dtmf_received') > lines.indexOf('  state "done" as done'), 'after its target is declared')
})
