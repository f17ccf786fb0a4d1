/*
 * What an agent state's callbacks may and may not say, pinned for the
 * compiler: `npm test` type-checks this file before it runs, and every
 * `@ts-expect-error` line fails the check when its mistake stops being one.
 */
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { assign, emit } from 'xstate'
import { agent, setupFlow, speak } from '../../lib'
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
