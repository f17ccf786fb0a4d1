import { emit, fromPromise } from 'xstate'
import { setupFlow, speak, workKey } from '../lib'

/** The restaurant's booking service: it makes one booking per idempotency key, however often it is asked. */
export interface Bookings {
  book (request: { people: number, idempotencyKey: string }): Promise<{ table: number }>
}

export function tableBookingFlow (bookings: Bookings) {
  return setupFlow({
    actors: {
      // workKey(self) is the same on every run of this invocation, on any instance.
      book: fromPromise<{ table: number }, { people: number }>(async ({ input, self }) =>
        await bookings.book({ people: input.people, idempotencyKey: workKey(self) as string }))
    }
  }).createMachine({
    id: 'tableBooking',
    initial: 'greeting',
    states: {
      greeting: {
        on: {
          session_start: { actions: emit(speak('For how many people? Press a key.')) },
          dtmf_received: { target: 'booking' }
        }
      },
      booking: {
        invoke: {
          src: 'book',
          input: ({ event }) => ({ people: Number((event as { digit: string }).digit) }),
          onDone: { target: 'booked', actions: emit(({ event }) => speak(`Table ${event.output.table} is yours.`)) },
          onError: { target: 'greeting', actions: emit(speak('Sorry, that did not work. For how many people?')) }
        },
        // The caller may talk while the booking runs: on any instance, it is not made twice.
        on: { user_speak: { actions: emit(speak('One moment, I am booking your table.')) } }
      },
      booked: { type: 'final' }
    }
  })
}
