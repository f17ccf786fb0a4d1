import { Type } from '@sinclair/typebox'
import { assign, emit } from 'xstate'
import { agent, functionTool, hangup, menu, setupFlow, speak, transfer, type AgentMemory, type AgentModel } from '../lib'

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

const SLOT = Type.Object({
  date: Type.String({ description: 'The day, as YYYY-MM-DD', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  time: Type.String({ description: 'The time, as HH:MM', pattern: '^\\d{2}:\\d{2}$' }),
  people: Type.Integer({ minimum: 1, maximum: 12 })
})

const PERSON = { target_phone_number: '+4921100000', caller_id_name: 'Luigi\'s', caller_id_number: '+4921100001' }

/**
 * Luigi's booking line: a model talks with the caller, and may only book a
 * table, hand over to a person, or end the call; the booking is confirmed
 * by a plain menu (key or word); when the model fails, a person takes over.
 */
export function restaurantFlow (model: AgentModel) {
  return setupFlow({ types: { context: {} as RestaurantContext } }).createMachine({
    id: 'restaurant',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model,
        greeting: ({ context }) => context.booking === undefined ? 'Welcome to Luigi\'s! How can I help you?' : 'What shall I change?',
        instructions: 'You answer the phone at Luigi\'s, an Italian restaurant open 12:00 to 23:00 every day. ' +
          'Keep every answer to one or two short sentences: the caller hears them. To book, ask for the date, time and ' +
          'number of people, check them with check_availability, then call book_table. Call transfer_to_person when the caller asks for a person, and ' +
          'end_call when they are done.',
        functions: {
          check_availability: functionTool({
            description: 'Whether a table for that many people is free at that date and time.',
            parameters: SLOT,
            result: Type.Object({ free: Type.Boolean() }),
            slowLine: { after: 1500, text: 'Let me check the calendar.' },
            run: ({ args }) => ({ free: (calendar.get(`${args.date} ${args.time}`) ?? 0) + args.people <= SEATS })
          })
        },
        tools: {
          book_table: {
            description: 'Book a table once the caller has given date, time and number of people, and it is free.',
            parameters: SLOT,
            then: { target: 'confirm', actions: assign({ booking: ({ event }) => event.output.args }) }
          },
          transfer_to_person: { description: 'Hand the call to a person.', parameters: Type.Object({}), then: 'person' },
          end_call: { description: 'End the call when the caller is done.', parameters: Type.Object({}), then: 'goodbye' }
        },
        onError: 'fallback'
      }),
      confirm: menu({
        id: 'confirm',
        say: ({ context }) => {
          const { people, date, time } = context.booking as Booking
          return `A table for ${people} on ${date} at ${time}. Press 1 or say yes to book it, press 2 or say no to change it.`
        },
        choices: { yes: { dtmf: '1', words: ['yes'] }, no: { dtmf: '2', words: ['no'] } },
        on: { yes: 'booked', no: 'host' },
        noMatch: ['Press 1 to book, 2 to change it.'],
        onNoInput: 'person',
        onNoMatch: 'person'
      }),
      booked: { entry: [emit(speak('Your table is booked. See you at Luigi\'s!')), emit(hangup())] },
      person: { type: 'final', entry: [emit(speak('I am putting you through to a person.')), emit(transfer(PERSON))] },
      goodbye: { entry: [emit(speak('Thank you for calling. Goodbye!')), emit(hangup())] },
      fallback: { type: 'final', entry: [emit(speak('Sorry, I cannot help you right now. I am putting you through to a person.')), emit(transfer(PERSON))] }
    }
  })
}
