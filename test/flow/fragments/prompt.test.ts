import t from 'tap'
import { assign, emit } from 'xstate'
import { prompt, setupFlow, speak, type FlowFragment, type PromptOptions, type Reply } from '../../../lib'
import { drive, persisted } from '../../fixtures/drive'

const yesOrNo = (reply: Reply): boolean | undefined => {
  if (reply.type === 'dtmf_received') return reply.digit === '1' ? true : reply.digit === '2' ? false : undefined
  return /\byes\b/i.test(reply.text) ? true : /\bno\b/i.test(reply.text) ? false : undefined
}

const base: PromptOptions<boolean> = {
  id: 'confirm',
  say: 'Shall I book it?',
  match: yesOrNo,
  noInput: ['Are you still there? Shall I book it?', 'Please say yes or no.'],
  noMatch: ['Sorry, shall I book it?'],
  onMatch: { target: 'answered', actions: assign({ answer: ({ event }) => event.output.value }) },
  onNoInput: 'silent',
  onNoMatch: 'lost'
}

function flowWith (fragment: FlowFragment, on: Record<string, unknown> = {}) {
  return setupFlow({ types: { context: {} as { answer?: unknown, name?: string } } }).createMachine({
    id: 'test',
    context: { name: 'Ada' },
    initial: 'idle',
    on: on as never,
    states: { idle: { on: { session_start: 'confirm' } }, confirm: fragment, answered: {}, silent: {}, lost: {} }
  })
}

t.test('says the question on entry, asking for a user_input_timeout', async (t) => {
  const call = drive(flowWith(prompt(base)))
  t.same(call.send('session_start'), [speak('Shall I book it?', { user_input_timeout_seconds: 8 })])
  t.same(call.value(), { confirm: { listening: { noInput: 'none', noMatch: 'none' } } })
})

t.test('a spoken match leaves with the matched value as output', async (t) => {
  const call = drive(flowWith(prompt(base)))
  call.send('session_start')
  t.same(call.send('user_speak', { text: 'Yes, please.' }), [])
  t.equal(call.value(), 'answered')
  t.equal(call.actor.getSnapshot().context.answer, true)
})

t.test('a key press is a reply too, and false is a match like any other value', async (t) => {
  const call = drive(flowWith(prompt(base)))
  call.send('session_start')
  call.send('dtmf_received', { digit: '2' })
  t.equal(call.value(), 'answered')
  t.equal(call.actor.getSnapshot().context.answer, false)
})

t.test('silence says each no-input reprompt in turn, then leaves by onNoInput', async (t) => {
  const call = drive(flowWith(prompt(base)))
  call.send('session_start')
  t.same(call.send('user_input_timeout'), [speak('Are you still there? Shall I book it?', { user_input_timeout_seconds: 8 })])
  t.same(call.value(), { confirm: { listening: { noInput: 'reprompt1', noMatch: 'none' } } })
  t.same(call.send('user_input_timeout'), [speak('Please say yes or no.', { user_input_timeout_seconds: 8 })])
  t.same(call.send('user_input_timeout'), [])
  t.equal(call.value(), 'silent')
})

t.test('replies that do not match say each no-match reprompt, then leave by onNoMatch', async (t) => {
  const call = drive(flowWith(prompt(base)))
  call.send('session_start')
  t.same(call.send('user_speak', { text: 'maybe' }), [speak('Sorry, shall I book it?', { user_input_timeout_seconds: 8 })])
  t.same(call.send('dtmf_received', { digit: '9' }), [])
  t.equal(call.value(), 'lost')
})

t.test('no-input and no-match are counted apart', async (t) => {
  const call = drive(flowWith(prompt(base)))
  call.send('session_start')
  call.send('user_input_timeout')
  call.send('user_speak', { text: 'hmm' })
  call.send('user_input_timeout')
  t.same(call.value(), { confirm: { listening: { noInput: 'reprompt2', noMatch: 'reprompt1' } } })
  call.send('user_speak', { text: 'yes' })
  t.equal(call.value(), 'answered', 'a match still counts after failures of both kinds')
})

t.test('without reprompts, the first failure ends the prompt', async (t) => {
  const call = drive(flowWith(prompt({ ...base, noInput: undefined, noMatch: undefined })))
  call.send('session_start')
  call.send('user_input_timeout')
  t.equal(call.value(), 'silent')
})

t.test("the flow's own handlers for the same events do not also run inside the prompt", async (t) => {
  const global = {
    user_speak: { actions: emit(speak('GLOBAL SPEECH')) },
    dtmf_received: { actions: emit(speak('GLOBAL KEY')) },
    user_input_timeout: { actions: emit(speak('GLOBAL SILENCE')) }
  }
  const call = drive(flowWith(prompt(base), global))
  call.send('session_start')
  t.same(call.send('user_input_timeout'), [speak('Are you still there? Shall I book it?', { user_input_timeout_seconds: 8 })])
  t.same(call.send('user_speak', { text: 'what' }), [speak('Sorry, shall I book it?', { user_input_timeout_seconds: 8 })])
  t.same(call.send('dtmf_received', { digit: '1' }), [])
  t.same(call.send('user_speak', { text: 'after the prompt' }), [speak('GLOBAL SPEECH')], 'outside the prompt the flow handles them')
})

t.test('say may be a speak action, keeping its own timeout, or a function of the context', async (t) => {
  const call = drive(flowWith(prompt({
    ...base,
    say: ({ context }) => `Shall I book it, ${context.name as string}?`,
    noInput: [speak({ ssml: '<speak>Hello?</speak>', user_input_timeout_seconds: 3 })],
    timeout: 5
  })))
  t.same(call.send('session_start'), [speak('Shall I book it, Ada?', { user_input_timeout_seconds: 5 })])
  t.same(call.send('user_input_timeout'), [speak({ ssml: '<speak>Hello?</speak>', user_input_timeout_seconds: 3 })])
})

t.test('onMatch may be a list of guarded transitions', async (t) => {
  const options = { ...base, onMatch: [{ guard: ({ event }: { event: { output: { value: boolean } } }) => event.output.value, target: 'answered' }, { target: 'lost' }] }
  const yes = drive(flowWith(prompt(options)))
  yes.send('session_start')
  yes.send('user_speak', { text: 'yes' })
  t.equal(yes.value(), 'answered')
  const no = drive(flowWith(prompt(options)))
  no.send('session_start')
  no.send('user_speak', { text: 'no' })
  t.equal(no.value(), 'lost')
})

t.test('the counters survive a JSON round trip of the snapshot', async (t) => {
  const machine = flowWith(prompt(base))
  const first = drive(machine)
  first.send('session_start')
  first.send('user_input_timeout')
  first.send('user_speak', { text: 'hmm' })
  const second = drive(machine, { snapshot: persisted(first) })
  t.same(second.send('user_speak', { text: 'what' }), [])
  t.equal(second.value(), 'lost', 'the restored call remembers the earlier no-match')
})

t.test('wrong options throw when the flow is built, naming the fragment', async (t) => {
  t.throws(() => prompt({ ...base, id: 'a.b' }), { code: 'FST_AIFLOW_INVALID_FRAGMENT', message: /"a\.b": id must be/ })
  t.throws(() => prompt({ ...base, id: undefined as never }), { message: /"undefined": id must be/ })
  t.throws(() => prompt({ ...base, timeout: 0 }), { message: /"confirm": timeout must be a positive number, got 0/ })
  t.throws(() => prompt<boolean>({ ...base, match: 'yes' as never }), { message: /match must be a function/ })
  t.throws(() => prompt({ ...base, noMatch: 'again' as never }), { message: /noMatch must be an array of prompts, got "again"/ })
})
