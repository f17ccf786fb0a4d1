/*
 * An IVR menu: callers pick sales, support or the opening hours by key or
 * by voice; silence or answers that are no choice reach an operator.
 *
 *   npx fastify-ai-flow simulate examples/ivr-menu.ts
 */
import { emit, enqueueActions } from 'xstate'
import { menu, setupFlow, speak, transfer, type Session } from '../lib'

/** Where each department answers. */
export const numbers = { sales: '4921155660100', support: '4921155660200', operator: '4921155660000' }

export const flow = setupFlow({
  types: { context: {} as { session: Session } },
  actions: {
    connect: enqueueActions(({ context, enqueue }, params: { to: keyof typeof numbers, words: string }) => {
      enqueue.emit(speak(params.words))
      enqueue.emit(transfer({
        target_phone_number: numbers[params.to],
        caller_id_name: 'Acme hotline',
        caller_id_number: context.session.phone_number ?? numbers.operator
      }))
    })
  }
}).createMachine({
  id: 'ivr',
  context: ({ input }) => ({ session: input.session }),
  initial: 'welcome',
  on: { session_end: '.ended' },
  states: {
    welcome: {
      on: { session_start: { target: 'main', actions: emit(speak('Welcome to Acme.')) } }
    },
    main: menu({
      id: 'main',
      say: 'For sales, press 1 or say sales. For support, press 2 or say support. For our opening hours, press 3.',
      choices: {
        sales: { dtmf: '1', words: ['sales', 'buy', 'order'] },
        support: { dtmf: '2', words: ['support', 'help', 'problem'] },
        hours: { dtmf: '3', words: ['hours', 'open', 'opening'] }
      },
      on: { sales: 'sales', support: 'support', hours: 'hours' },
      noInput: ['Are you still there? Press 1 for sales, 2 for support or 3 for our opening hours.'],
      noMatch: ['Sorry, I did not get that. Press 1 for sales, 2 for support or 3 for our opening hours.'],
      onNoInput: 'operator',
      onNoMatch: 'operator'
    }),
    hours: {
      entry: emit(speak('We are open Monday to Friday, from 9 am to 5 pm.')),
      always: 'main'
    },
    sales: { entry: { type: 'connect', params: { to: 'sales', words: 'Connecting you to sales.' } } },
    support: { entry: { type: 'connect', params: { to: 'support', words: 'Connecting you to support.' } } },
    operator: { entry: { type: 'connect', params: { to: 'operator', words: 'Let me connect you to an operator.' } } },
    ended: { type: 'final' }
  }
})

export default flow
