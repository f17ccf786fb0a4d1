/*
 * What an agent state's callbacks may and may not say, pinned for the
 * compiler: `npm test` type-checks this file before it runs, and every
 * `@ts-expect-error` line fails the check when its mistake stops being one.
 */
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { assign, emit } from 'xstate'
import { agent, functionTool, setupFlow, speak } from '../../lib'
import { scriptedModel, simulateCall } from '../../lib/testing'

interface Context { people: number, when: string }

const flow = setupFlow({ types: { context: {} as Context } }).createMachine({
  context: { people: 0, when: '' },
  initial: 'start',
  states: {
    start: { on: { session_start: 'talk' } },
    talk: agent({
      id: 'talk',
      model: scriptedModel([{ tool: { name: 'book', args: { people: 2, when: 'tonight' } } }]),
      instructions: ({ context }) => `We have ${context.people} people booked so far.`,
      tools: {
        book: {
          description: 'Book',
          parameters: Type.Object({ people: Type.Integer(), when: Type.String() }),
          // The arguments are typed from the schema.
          then: { target: 'booked', actions: assign({ people: ({ event }) => event.output.args.people, when: ({ event }) => event.output.args.when }) }
        },
        wrong: {
          description: 'Wrong',
          parameters: Type.Object({ people: Type.Integer() }),
          // @ts-expect-error: the schema has no `peopel`
          then: { target: 'booked', actions: assign({ people: ({ event }) => event.output.args.peopel }) }
        }
      },
      // @ts-expect-error: a failure's output has `error`, not `reason`
      onError: { target: 'booked', actions: emit(({ event }) => speak(event.output.reason)) },
      noInput: ['Hello?', ({ context }) => `Still booking for ${context.people}?`],
      // The silence exit's output says so, typed.
      onNoInput: { target: 'booked', actions: emit(({ event }) => speak(event.output.result === 'no-input' ? 'Bye.' : 'Never.')) }
    }),
    booked: { entry: emit(({ context }) => speak(`${context.people} people, ${context.when}.`)) }
  }
})

t.test('the typed flow runs: the tool\'s arguments reach the context', async (t) => {
  const call = simulateCall(flow, { replyTimeout: 100 })
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('Two of us tonight'), [speak('2 people, tonight.')])
})

// A function tool's arguments are typed from its parameters, and what it returns from its result schema.
export const check = functionTool({
  description: 'Check',
  parameters: Type.Object({ people: Type.Integer(), when: Type.String() }),
  result: Type.Object({ free: Type.Boolean() }),
  run: ({ args, key, signal }) => {
    const people: number = args.people
    // @ts-expect-error: the schema has no `peopel`
    const wrong: number = args.peopel
    // @ts-expect-error: `when` is a string
    const when: number = args.when
    return { free: people < 8 && [wrong, when, key, signal].length === 4 }
  }
})

// @ts-expect-error: the result schema says `free` is a boolean
export const lying = functionTool({ description: 'Lying', parameters: Type.Object({}), result: Type.Object({ free: Type.Boolean() }), run: () => ({ free: 'yes' }) })

// A result may come as a promise; without a result schema, anything goes.
export const later = functionTool({ description: 'Later', parameters: Type.Object({}), result: Type.Object({ free: Type.Boolean() }), run: async () => ({ free: true }) })
export const loose = functionTool({ description: 'Loose', parameters: Type.Object({ n: Type.Number() }), run: ({ args }) => args.n * 2 })

// What a tool keeps is typed from its schemas and the context it is given.
const TIME = Type.Object({ time: Type.String() })
const FREE = Type.Object({ free: Type.Boolean() })
export const keeping = functionTool<typeof TIME, typeof FREE, { slot?: string }>({
  description: 'Keeping',
  parameters: TIME,
  result: FREE,
  run: ({ args }) => ({ free: args.time === '19:00' }),
  keep: ({ args, result, context }) => ({ slot: result.free ? args.time : context.slot })
})
export const keepingWrong = functionTool<typeof TIME, typeof FREE, { slot?: string }>({
  description: 'Keeping wrong',
  parameters: TIME,
  result: FREE,
  run: ({ args }) => ({ free: args.time === '19:00' }),
  // @ts-expect-error: the context has no `slto`
  keep: ({ args }) => ({ slto: args.time })
})
export const keepTyped = functionTool({
  description: 'Keep typed',
  parameters: Type.Object({ time: Type.String() }),
  result: Type.Object({ free: Type.Boolean() }),
  run: ({ args }) => ({ free: args.time === '19:00' }),
  keep: ({ args, result }) => {
    // @ts-expect-error: the schema has no `tiem`
    const misspelt: string = args.tiem
    // @ts-expect-error: the result schema has no `open`
    const open: boolean = result.open
    // @ts-expect-error: `free` is a boolean
    const free: string = result.free
    return { seen: [misspelt, open, free] }
  }
})
export const keepLoose = functionTool({
  description: 'Keep loose',
  parameters: Type.Object({}),
  run: () => 1,
  keep: ({ result }) => {
    // @ts-expect-error: without a result schema the result is unknown
    const n: number = result
    return { n }
  }
})

t.test('function tools are typed from their schemas and join an agent', async (t) => {
  const model = scriptedModel([{ tool: { name: 'check', args: { people: 2, when: 'tonight' } } }, { tool: { name: 'book', args: { people: 2, when: 'tonight' } } }])
  const withFunctions = setupFlow({ types: { context: {} as Context } }).createMachine({
    context: { people: 0, when: '' },
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({
        id: 'talk',
        model,
        instructions: 'Check, then book.',
        functions: { check, loose },
        tools: { book: { description: 'Book', parameters: Type.Object({ people: Type.Integer(), when: Type.String() }), then: 'booked' } },
        onError: 'booked'
      }),
      booked: { entry: emit(() => speak('Booked.')) }
    }
  })
  const call = simulateCall(withFunctions, { replyTimeout: 1000 })
  t.teardown(() => call.close())
  await call.start()
  t.same(await call.say('Two of us tonight'), [speak('Booked.')])
  t.match(model.requests[1].messages.at(-1), { role: 'tool', name: 'check', ok: true, result: '{"free":true}' })
})

// A handoff's summary and note get the tool's arguments typed from its schema, and the flow's context.
const handing = () => setupFlow({ types: { context: {} as Context } }).createMachine({
  context: { people: 0, when: '' },
  initial: 'front',
  states: {
    front: agent({
      id: 'front',
      model: scriptedModel([]),
      instructions: 'Hand over.',
      tools: {
        hand: {
          description: 'Hand over',
          parameters: Type.Object({ reason: Type.String() }),
          then: 'back',
          handoff: {
            conversation: async ({ args, context, messages, from, tool, signal }) => `${args.reason} for ${context.people}: ${messages.length} ${from} ${tool} ${String(signal.aborted)}`,
            note: ({ args, summary, from }) => `${from}: ${args.reason.toUpperCase()} ${summary ?? ''}`
          }
        },
        kept: { description: 'Kept', parameters: Type.Object({}), then: 'back', handoff: { conversation: 6 } },
        whole: { description: 'Whole', parameters: Type.Object({}), then: 'back', handoff: true },
        wrongArgs: {
          description: 'Wrong arguments',
          parameters: Type.Object({ reason: Type.String() }),
          then: 'back',
          // @ts-expect-error: the schema has no `reasn`
          handoff: { note: ({ args }) => args.reasn }
        },
        wrongContext: {
          description: 'Wrong context',
          parameters: Type.Object({}),
          then: 'back',
          // @ts-expect-error: the context has no `peple`
          handoff: { conversation: ({ context }) => String(context.peple) }
        },
        wrongKept: {
          description: 'Wrong kept',
          parameters: Type.Object({}),
          then: 'back',
          // @ts-expect-error: what goes is 'whole', a number of messages or a summary
          handoff: { conversation: 'half' }
        },
        wrongSummary: {
          description: 'Wrong summary',
          parameters: Type.Object({}),
          then: 'back',
          // @ts-expect-error: a summary is text
          handoff: { conversation: () => 5 }
        },
        wrongFlag: {
          description: 'Wrong flag',
          parameters: Type.Object({}),
          then: 'back',
          // @ts-expect-error: a handoff is true or its options, not false
          handoff: false
        }
      },
      onError: 'back'
    }),
    back: { type: 'final' }
  }
})

t.test('what the types refuse in a handoff, the flow refuses when it is built', async (t) => {
  t.throws(handing, /tool wrongKept: handoff.conversation must be 'whole'/)
})
