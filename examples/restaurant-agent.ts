import { Type } from '@sinclair/typebox'
import { assign, emit } from 'xstate'
import { agent, functionTool, hangup, setupFlow, speak, transfer, type AgentMemory, type AgentModel } from '../lib'

export interface Booking { date: string, time: string, people: number }

export interface RestaurantContext {
  /** The conversation with the model, kept by the agent state. */
  agent?: AgentMemory
  booking?: Booking
}

/** Tables booked, by date and time: an in-memory calendar standing in for the restaurant's own. */
export const calendar = new Map<string, number>([['2026-12-24 20:00', 40]])

/** Seats Luigi's has at one time. */
const SEATS = 40

/** The restaurant's booking service, outside the call: it books once per idempotency key. */
export interface BookingService {
  book (booking: Booking, key: string, signal: AbortSignal): Promise<{ reference: string }>
}

/**
 * An in-memory booking service standing in for the restaurant's own: a
 * second booking with a key it has seen books nothing and answers as the
 * first did.
 */
export class MemoryBookings implements BookingService {
  /** References by idempotency key. */
  readonly made = new Map<string, string>()

  async book ({ date, time, people }: Booking, key: string): Promise<{ reference: string }> {
    let reference = this.made.get(key)
    if (reference === undefined) {
      const slot = `${date} ${time}`
      calendar.set(slot, (calendar.get(slot) ?? 0) + people)
      reference = `L-${this.made.size + 1}`
      this.made.set(key, reference)
    }
    return { reference }
  }
}

const SLOT = Type.Object({
  date: Type.String({ description: 'The day, as YYYY-MM-DD', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  time: Type.String({ description: 'The time, as HH:MM', pattern: '^\\d{2}:\\d{2}$' }),
  people: Type.Integer({ minimum: 1, maximum: 12 })
})

const PERSON = { target_phone_number: '+4921100000', caller_id_name: 'Luigi\'s', caller_id_number: '+4921100001' }

/**
 * Luigi's booking line: a model talks with the caller, checks a slot in the
 * calendar and books it (`bookings`, with the run's key as the idempotency
 * key: a booking run again after its instance died books once), and may
 * only confirm the booking, hand over to a person, or end the call; when the
 * model fails, a person takes over.
 */
export function restaurantFlow (model: AgentModel, bookings: BookingService = new MemoryBookings()) {
  return setupFlow({ types: { context: {} as RestaurantContext } }).createMachine({
    id: 'restaurant',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        greeting: 'Welcome to Luigi\'s! How can I help you?',
        instructions: 'You answer the phone at Luigi\'s, an Italian restaurant open 12:00 to 23:00 every day. ' +
          'Keep every answer to one or two short sentences: the caller hears them. To book, ask for the date, time and ' +
          'number of people, check them with check_availability, and ask the caller to confirm; then call book_table, and once it has booked ' +
          'the table, call confirm_booking. Call transfer_to_person when the caller asks for a person, and end_call when they are done.',
        functions: {
          check_availability: functionTool({
            description: 'Whether a table for that many people is free at that date and time.',
            parameters: SLOT,
            result: Type.Object({ free: Type.Boolean() }),
            slowLine: { after: 1500, text: 'Let me check the calendar.' },
            run: ({ args }) => ({ free: (calendar.get(`${args.date} ${args.time}`) ?? 0) + args.people <= SEATS })
          }),
          book_table: functionTool({
            description: 'Book a table once it is free and the caller has confirmed it.',
            parameters: SLOT,
            result: Type.Object({ reference: Type.String() }),
            // A booking under way is not cancelled by the caller saying "uh-huh".
            mustFinish: true,
            slowLine: { after: 1500, text: 'I am booking it now.' },
            // The same key on every run of this call of the tool, on any instance: the service books once.
            run: async ({ args, key, signal }) => await bookings.book(args, key, signal)
          })
        },
        tools: {
          confirm_booking: {
            description: 'Once book_table has booked the table: confirm it to the caller and end the call.',
            parameters: SLOT,
            then: { target: 'booked', actions: assign({ booking: ({ event }) => event.output.args }) }
          },
          transfer_to_person: { description: 'Hand the call to a person.', parameters: Type.Object({}), then: 'person' },
          end_call: { description: 'End the call when the caller is done.', parameters: Type.Object({}), then: 'goodbye' }
        },
        onError: 'fallback'
      }),
      booked: { entry: [emit(speak('Your table is booked. See you at Luigi\'s!')), emit(hangup())] },
      person: { type: 'final', entry: [emit(speak('I am putting you through to a person.')), emit(transfer(PERSON))] },
      goodbye: { entry: [emit(speak('Thank you for calling. Goodbye!')), emit(hangup())] },
      fallback: { type: 'final', entry: [emit(speak('Sorry, I cannot help you right now. I am putting you through to a person.')), emit(transfer(PERSON))] }
    }
  })
}
