/*
 * What a flow author's fragment callbacks may and may not say, pinned for the
 * compiler: `npm test` type-checks this file (tsconfig.json includes test/)
 * before it runs, and every `@ts-expect-error` line fails the check when its
 * mistake stops being an error. The machines below are also run, so the
 * lines that must compile are shown to work.
 */
import t from 'tap'
import { assign, emit } from 'xstate'
import { collectDigits, menu, prompt, setupFlow, speak, type DigitsEnd, type Reply } from '../../../lib'
import { drive } from '../../fixtures/drive'

interface Order { size: 'small' | 'large' | 'none', pin: string, note: string }

const pizza = setupFlow({
  types: { context: {} as Order },
  guards: {
    // A named guard reads the output through its params: no cast.
    pinComplete: (_, params: { ended: DigitsEnd }) => params.ended === 'length'
  }
})

const typed = pizza.createMachine({
  id: 'typed',
  context: { size: 'none', pin: '', note: '' },
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'size' } },
    size: menu({
      id: 'size',
      say: ({ context, event }) => `Small or large? (${context.note}${event.type})`,
      choices: { small: { dtmf: '1' }, large: { dtmf: '2' } },
      on: {
        // An inline action in a menu's `on` sees the choice and the context, typed.
        small: { target: 'toppings', actions: assign({ size: ({ event }) => event.output.value }) },
        large: { target: 'toppings', actions: assign({ size: ({ event, context }) => context.size === 'none' ? event.output.value : 'large' }) }
      },
      onNoInput: 'bye',
      onNoMatch: 'bye'
    }),
    toppings: prompt({
      id: 'toppings',
      say: ({ context }) => `A ${context.size} pizza. Which toppings?`,
      match: (reply) => reply.type === 'user_speak' ? reply.text.split(' ') : undefined,
      noInput: [({ context }) => `Still there? A ${context.size} pizza.`],
      onMatch: [
        { guard: ({ event }) => event.output.value.length > 3, target: 'bye' },
        { target: 'pin', actions: assign({ note: ({ event }) => event.output.value.join(', ') }) }
      ],
      onNoInput: { target: 'bye', actions: emit(({ event }) => speak(event.output.result)) },
      onNoMatch: 'bye'
    }),
    pin: collectDigits({
      id: 'pin',
      say: ({ context }) => `Your PIN for the ${context.size} pizza.`,
      length: 4,
      onDone: [
        { guard: { type: 'pinComplete', params: ({ event }) => ({ ended: event.output.ended }) }, target: 'bye', actions: assign({ pin: ({ event }) => event.output.digits }) },
        { target: 'bye' }
      ]
    }),
    bye: { entry: emit(({ context }) => speak(`${context.size} ${context.note} ${context.pin}`)) }
  }
})

/*
 * TypeScript learns a prompt's value type from `match`. Written inline, as
 * `(reply) => ...`, it is read after `assign(...)` calls standing alone in
 * `onMatch`, which would then see any event: such a prompt does not compile
 * (case `h` below). Give `match` as a named function, or type its parameter
 * (`(reply: Reply) => ...`), as here. Beside an inline guard, as in
 * `toppings` above, the assign sees the value.
 */
const pressed = (reply: Reply): string | undefined => reply.type === 'dtmf_received' ? reply.digit : undefined

// Each of these is a mistake the compiler must catch; the missing choice is caught when the flow is built, too.
const mistakes = () => pizza.createMachine({
  id: 'mistakes',
  context: { size: 'none', pin: '', note: '' },
  initial: 'a',
  states: {
    a: prompt({
      id: 'a',
      // @ts-expect-error a misspelt context field in say
      say: ({ context }) => `${context.sizzzze}`,
      match: pressed,
      // @ts-expect-error a misspelt output field in onMatch
      onMatch: { target: 'b', actions: assign({ note: ({ event }) => event.output.valu }) },
      onNoInput: 'b',
      onNoMatch: 'b'
    }),
    b: prompt({
      id: 'b',
      say: 'Yes?',
      match: (reply: Reply) => reply.type === 'dtmf_received' ? reply.digit === '1' : undefined,
      // @ts-expect-error the value is a boolean, not a string
      onMatch: { target: 'c', actions: assign({ note: ({ event }) => event.output.value }) },
      // @ts-expect-error no-input carries no value
      onNoInput: { guard: ({ event }) => event.output.value === true, target: 'c' },
      onNoMatch: 'c'
    }),
    c: menu({
      id: 'c',
      say: 'Small or large?',
      choices: { small: { dtmf: '1' }, large: { dtmf: '2' } },
      on: {
        small: 'd',
        large: 'd',
        // @ts-expect-error a choice that is not one
        smal: 'd'
      },
      onNoInput: 'd',
      onNoMatch: 'd'
    }),
    d: menu({
      id: 'd',
      say: 'Small or large?',
      choices: { small: { dtmf: '1' }, large: { dtmf: '2' } },
      // @ts-expect-error a choice left without its transition
      on: { small: 'e' },
      onNoInput: 'e',
      onNoMatch: 'e'
    }),
    e: menu({
      id: 'e',
      say: 'Small or large?',
      choices: { small: { dtmf: '1' }, large: { dtmf: '2' } },
      on: {
        // @ts-expect-error the size is 'small' here, so it cannot be compared with 'large'
        small: { guard: ({ event }) => event.output.value === 'large', target: 'f' },
        // @ts-expect-error an inline action in a menu's on: the context has no field siz
        large: { target: 'f', actions: ({ context }) => context.siz }
      },
      onNoInput: 'f',
      onNoMatch: 'f'
    }),
    f: collectDigits({
      id: 'f',
      length: 4,
      onDone: [
        // @ts-expect-error a misspelt output field in collectDigits' onDone
        { guard: ({ event }) => event.output.digitz === '1234', target: 'g' },
        // @ts-expect-error a guard the flow does not have
        { guard: 'pinComplet', target: 'g' }
      ]
    }),
    g: prompt({
      id: 'g',
      say: 'Which toppings?',
      match: pressed,
      // @ts-expect-error emit in onMatch: a misspelt output field
      onMatch: { target: 'h', actions: emit(({ event }) => speak(event.output.valu)) },
      onNoInput: 'h',
      onNoMatch: 'h'
    }),
    // @ts-expect-error match inline without a type, and an assign in onMatch that could not see its value
    h: prompt({
      id: 'h',
      say: 'Which toppings?',
      match: (reply) => reply.type === 'user_speak' ? reply.text : undefined,
      onMatch: { target: 'i', actions: assign({ note: ({ event }) => event.output.valu }) },
      onNoInput: 'i',
      onNoMatch: 'i'
    }),
    i: {}
  }
})

t.test('the typed flow runs: the choice, the toppings and the PIN reach the context', async (t) => {
  const call = drive(typed)
  call.send('session_start')
  call.send('dtmf_received', { digit: '1' })
  call.send('user_speak', { text: 'ham cheese' })
  t.same(call.send('dtmf_received', { digit: '1' }), [])
  call.send('dtmf_received', { digit: '2' })
  call.send('dtmf_received', { digit: '3' })
  t.same(call.send('dtmf_received', { digit: '4' }), [speak('small ham, cheese 1234')])
})

t.test('the flow with mistakes does not build: a choice leads nowhere', async (t) => {
  t.throws(mistakes, { code: 'FST_AIFLOW_INVALID_FRAGMENT', message: /"d": on must say where choice large leads/ })
})

t.test('a guard named like a fragment exit is refused', async (t) => {
  t.throws(() => setupFlow({ guards: { choice: () => true, noInput: () => true } }), {
    code: 'FST_AIFLOW_INVALID_OPTION',
    message: /setupFlow guards may not be named choice, noInput: fragments use answered, choice, noInput, noMatch/
  })
})
