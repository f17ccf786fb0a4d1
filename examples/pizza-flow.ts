/*
 * A pizza order in four steps: the size (a menu), the toppings (a prompt),
 * a phone number typed on the keypad (collected digits), and a confirmation
 * (a menu). Silence or answers that fit nothing reach a person.
 *
 *   npx fastify-ai-flow simulate examples/pizza-flow.ts
 *   npx fastify-ai-flow diagram examples/pizza-flow.ts
 */
import { assign, emit, enqueueActions } from 'xstate'
import { collectDigits, hangup, menu, prompt, setupFlow, speak, transfer, type Reply } from '../lib'

export const TOPPINGS = ['cheese', 'ham', 'mushrooms', 'peppers', 'olives', 'onions'] as const
export type Topping = typeof TOPPINGS[number]

/** The toppings named in what the caller said, in menu order; none named is no answer. */
export function toppingsIn (reply: Reply): Topping[] | undefined {
  if (reply.type !== 'user_speak') return undefined
  const said = reply.text.toLowerCase()
  const named = TOPPINGS.filter((topping) => new RegExp(`\\b${topping}\\b`).test(said))
  return named.length > 0 ? named : undefined
}

export const SHOP = { agent: '4921155660400' }

interface Order {
  size?: 'small' | 'large'
  toppings: Topping[]
  phone?: string
}

export const flow = setupFlow({
  types: { context: {} as Order },
  actions: {
    toAgent: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(speak('Let me put you through to our team.'))
      enqueue.emit(transfer({ target_phone_number: SHOP.agent, caller_id_name: 'Pizza line', caller_id_number: context.phone ?? SHOP.agent }))
    })
  },
  guards: {
    // A phone number has six digits at least.
    phoneNumber: (_, params: { digits: string }) => params.digits.length >= 6
  }
}).createMachine({
  id: 'pizza',
  context: { toppings: [] },
  initial: 'welcome',
  on: { session_end: '.ended' },
  states: {
    welcome: { on: { session_start: { target: 'size', actions: emit(speak('Welcome to Pizza Roma.')) } } },
    size: menu({
      id: 'size',
      say: 'A small or a large pizza? Press 1 for small, 2 for large, or 0 for a person.',
      choices: {
        small: { dtmf: '1', words: ['small'] },
        large: { dtmf: '2', words: ['large', 'big'] },
        agent: { dtmf: '0', words: ['person', 'agent', 'operator'] }
      },
      on: {
        small: { target: 'toppings', actions: assign({ size: 'small' as const }) },
        large: { target: 'toppings', actions: assign({ size: 'large' as const }) },
        agent: 'agent'
      },
      noInput: ['Are you still there? Press 1 for small or 2 for large.'],
      noMatch: ['Sorry: press 1 for small, 2 for large.'],
      onNoInput: 'agent',
      onNoMatch: 'agent'
    }),
    toppings: prompt({
      id: 'toppings',
      say: ({ context }) => `A ${String(context.size)} pizza. Which toppings? We have ${TOPPINGS.join(', ')}.`,
      match: toppingsIn,
      noInput: ['Which toppings would you like?'],
      noMatch: [`Sorry, we have ${TOPPINGS.join(', ')}.`],
      onMatch: { target: 'phone', actions: assign({ toppings: ({ event }) => event.output.value }) },
      onNoInput: 'agent',
      onNoMatch: 'agent'
    }),
    phone: collectDigits({
      id: 'phone',
      say: 'Please type your phone number, then the hash key.',
      terminator: '#',
      maxLength: 15,
      onDone: [
        { guard: { type: 'phoneNumber', params: ({ event }) => ({ digits: event.output.digits }) }, target: 'confirm', actions: assign({ phone: ({ event }) => event.output.digits }) },
        { target: 'agent' }
      ]
    }),
    confirm: menu({
      id: 'confirm',
      say: ({ context }) => `A ${String(context.size)} pizza with ${context.toppings.join(' and ')}, for ${String(context.phone)}. Press 1 to order, 2 to start again.`,
      choices: { order: { dtmf: '1', words: ['yes', 'order'] }, again: { dtmf: '2', words: ['no', 'again'] } },
      on: { order: 'ordered', again: { target: 'size', actions: assign({ toppings: [], phone: undefined }) } },
      noMatch: ['Press 1 to order, 2 to start again.'],
      onNoInput: 'agent',
      onNoMatch: 'agent'
    }),
    ordered: { entry: [emit(speak('Thank you! Your pizza will be with you in 30 minutes.')), emit(hangup())] },
    agent: { entry: 'toAgent' },
    ended: { type: 'final' }
  }
})

export default flow
