/*
 * A flow that also waits for an event the protocol does not document,
 * declared in its types: `fastify-ai-flow check` reads the declaration.
 */
import { emit } from 'xstate'
import { hangup, setupFlow, speak } from '../lib'

export const flow = setupFlow({
  types: { events: {} as { type: 'booking_confirmed', reference: string } }
}).createMachine({
  id: 'custom',
  initial: 'waiting',
  on: { session_end: '.done' },
  states: {
    waiting: {
      on: { booking_confirmed: { target: 'done', actions: [emit(({ event }) => speak(`Booking ${event.reference} is confirmed.`)), emit(hangup())] } }
    },
    done: { type: 'final' }
  }
})

export default flow
