import t from 'tap'
import { and } from 'xstate'
import { toMermaid, transitionLabel } from '../../lib/tools/mermaid'
import { exitOf, fragmentGuards, fragmentOf } from '../../lib/flow'
import { flow as pizza } from '../../examples/pizza-flow'
import { flow as booking } from '../../examples/booking-bot'

const lines = (diagram: string): string[] => diagram.split('\n').map((line) => line.trim())

t.test('collapsed: each fragment is one box, its exits labelled with what they mean', async (t) => {
  const drawn = lines(toMermaid(pizza))
  for (const expected of [
    'state "size" as size',
    'size : menu',
    'toppings : prompt',
    'phone : collect digits',
    'size --> toppings : small',
    'size --> toppings : large',
    'size --> agent : agent',
    'size --> agent : no input #215;2',
    'size --> agent : no match #215;2',
    'toppings --> phone : answered',
    'phone --> confirm : digits complete [phoneNumber]',
    'phone --> agent : digits complete',
    'confirm --> ordered : order',
    'confirm --> size : again',
    'confirm --> agent : no input',
    'confirm --> agent : no match #215;2'
  ]) t.ok(drawn.includes(expected), expected)
  t.notOk(drawn.some((line) => line.includes('reprompt') || line.includes('listening')), 'no reprompt states')
  t.notOk(drawn.some((line) => /\bdone\b/.test(line)), 'no exit is labelled done')
})

t.test('expanded: the inside of fragments is drawn, exits labelled the same', async (t) => {
  const drawn = lines(toMermaid(pizza, { expand: true }))
  for (const expected of [
    'state "size" as size {',
    'state "listening" as size_listening {',
    'state "reprompt1" as size_listening_noInput_reprompt1',
    'size_listening --> size_matched : user_speak [matched]',
    'size_listening_noMatch_none --> size_listening_noMatch_reprompt1 : user_speak [missed]',
    'size --> toppings : small',
    'phone : invokes actor',
    'phone --> confirm : digits complete [phoneNumber]'
  ]) t.ok(drawn.includes(expected), expected)
})

t.test('a call inside a collapsed fragment highlights the fragment', async (t) => {
  const value = { size: { listening: { noInput: 'reprompt1', noMatch: 'none' } } }
  t.match(toMermaid(pizza, { highlight: value }), /\n {2}class size active\n/)
  t.match(toMermaid(pizza, { highlight: value, expand: true }), /\n {2}class size_listening_noInput_reprompt1,size_listening_noMatch_none active\n/)
  t.match(toMermaid(pizza, { highlight: 'phone' }), /\n {2}class phone active\n/)
})

t.test('fragment states say which fragment they are; other states are none', async (t) => {
  t.equal(fragmentOf(pizza.root.states.size), 'menu')
  t.equal(fragmentOf(pizza.root.states.toppings), 'prompt')
  t.equal(fragmentOf(pizza.root.states.phone), 'collectDigits')
  t.equal(fragmentOf(pizza.root.states.agent), undefined)
  t.equal(fragmentOf(pizza.getStateNodeById('size.listening')), undefined, 'the inside of a fragment is not one')
})

t.test('the exits of a fragment are named guards in the machine config', async (t) => {
  const exits = pizza.root.states.size.transitions.get('xstate.done.state.size') ?? []
  t.same(exits.slice(0, 2).map((exit) => exit.guard), [{ type: 'choice', params: { is: 'small' } }, { type: 'choice', params: { is: 'large' } }])
  t.same(exits.slice(3).map((exit) => exit.guard), [{ type: 'noInput', params: { after: 2 } }, { type: 'noMatch', params: { after: 2 } }])
  t.same(JSON.parse(JSON.stringify(pizza.root.states.toppings.config.onDone))[0].guard, { type: 'answered' }, 'they survive JSON')
  const exported = JSON.stringify(pizza.toJSON())
  t.ok(exported.includes('"guard":{"type":"choice","params":{"is":"small"}}'), "the machine's JSON names the choice")
  t.ok(exported.includes('"guard":{"type":"noInput","params":{"after":2}}'), 'and how many silences end a prompt')
  t.equal(exitOf('saidYes'), undefined, 'a guard of the author is no exit')
  t.equal(exitOf({ type: 'other' }), undefined)
  t.equal(exitOf(undefined), undefined)
  t.same(exitOf({ type: 'noMatch', params: { after: 1 } }), { label: 'no match' })
})

t.test('the exit guards read the output of the done event, and nothing else', async (t) => {
  const done = (output: unknown) => ({ event: { type: 'xstate.done.state.x', output } })
  t.equal(fragmentGuards.answered(done({ result: 'match', value: 1 }), undefined), true)
  t.equal(fragmentGuards.answered(done({ result: 'no-match' }), undefined), false)
  t.equal(fragmentGuards.choice(done({ result: 'match', value: 'small' }), { is: 'small' }), true)
  t.equal(fragmentGuards.choice(done({ result: 'match', value: 'large' }), { is: 'small' }), false)
  t.equal(fragmentGuards.choice(done({ result: 'no-input' }), { is: 'small' }), false)
  t.equal(fragmentGuards.noInput(done({ result: 'no-input' }), { after: 1 }), true)
  t.equal(fragmentGuards.noMatch(done({ result: 'no-match' }), { after: 1 }), true)
  t.equal(fragmentGuards.noMatch({ event: { type: 'user_speak' } }, { after: 1 }), false, 'an event without output')
  t.equal(fragmentGuards.noMatch(done(null), { after: 1 }), false)
})

t.test('a transition of a fragment that is not its exit keeps its event label', async (t) => {
  const phone = pizza.root.states.phone
  const forward = phone.transitions.get('dtmf_received')?.[0]
  t.equal(transitionLabel(phone, forward as never), 'dtmf_received')
  const size = pizza.root.states.size
  t.equal(transitionLabel(size, { eventType: 'session_end', guard: undefined } as never), 'session_end')
})

t.test("an exit with the author's own guard is labelled with both", async (t) => {
  t.same(exitOf(and([{ type: 'choice', params: { is: 'small' } }, 'isHungry'])), { label: 'small', guard: 'isHungry' })
  t.equal(exitOf(and(['isHungry', { type: 'choice', params: { is: 'small' } }])), undefined, 'the exit guard comes first')
  t.equal(exitOf(and([{ type: 'answered' }, 'a', 'b'])), undefined)
  t.equal(exitOf(() => true), undefined)
  t.match(toMermaid(booking), /\n {2}confirm --> booking : answered \[saidYes\]\n {2}confirm --> ask : answered\n/)
})
