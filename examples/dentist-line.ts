/*
 * A dentist's phone line: a menu (appointments, opening hours, a person),
 * an 8-digit patient number typed on the keypad, and an agent that books an
 * appointment or hands the call to a person; quiet music plays under the
 * line in a region of its own until the caller is first silent.
 *
 *   npx fastify-ai-flow simulate examples/dentist-line.ts
 */
import { Type } from '@sinclair/typebox'
import { assign, emit } from 'xstate'
import { agent, collectDigits, hangup, menu, mixAudio, setupFlow, speak, transfer, type AgentMemory, type AgentModel, type DigitsEnd } from '../lib'
import { scriptedModel } from '../lib/testing'

export interface Appointment { day: string, time: string }

export interface DentistContext {
  /** The conversation with the model, kept by the agent state. */
  agent?: AgentMemory
  patient?: string
  appointment?: Appointment
}

const RECEPTION = { target_phone_number: '+4921155661000', caller_id_name: 'Smile dental practice', caller_id_number: '+4921155661001' }

/** A short, silent WAV: the practice's own music goes here. */
export const MUSIC = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA='

// Callers who know the menu may talk over it once they have said a word, but not in its first second.
const interruptible = { strategy: 'minimum_characters', minimum_characters: 4, allow_after_ms: 1000 } as const

export const MENU = 'Welcome to the Smile dental practice. For an appointment, press 1 or say appointment. ' +
  'For our opening hours, press 2. To speak to someone, press 3.'
export const HOURS = 'We are open Monday to Friday, from 8 am to 6 pm.'

/**
 * The practice's line, with the language model given: the model may only
 * book an appointment (`book({ day, time })`) or hand the call to a person;
 * two silences in a row, or a model that fails, reach a person too.
 */
export function dentistFlow (model: AgentModel) {
  return setupFlow({
    types: { context: {} as DentistContext },
    guards: {
      eightDigits: (_, params: { ended: DigitsEnd }) => params.ended === 'length'
    }
  }).createMachine({
    id: 'dentist',
    context: {},
    initial: 'start',
    on: { session_end: '.ended' },
    states: {
      start: { on: { session_start: 'line' } },
      line: {
        type: 'parallel',
        states: {
          call: {
            initial: 'main',
            states: {
              main: menu({
                id: 'main',
                say: speak(MENU, { barge_in: interruptible }),
                choices: {
                  appointment: { dtmf: '1', words: ['appointment', 'book'] },
                  hours: { dtmf: '2', words: ['hours', 'open'] },
                  person: { dtmf: '3', words: ['someone', 'person', 'reception'] }
                },
                on: { appointment: 'patient', hours: 'hours', person: '#dentist.person' },
                noInput: ['Are you still there? Press 1 for an appointment, 2 for our opening hours, 3 to speak to someone.'],
                noMatch: ['Sorry, I did not get that. Press 1 for an appointment, 2 for our opening hours, 3 to speak to someone.'],
                onNoInput: '#dentist.person',
                onNoMatch: '#dentist.person'
              }),
              hours: { entry: emit(speak(HOURS)), always: 'main' },
              patient: collectDigits({
                id: 'patient',
                say: 'Please type your eight-digit patient number.',
                length: 8,
                onDone: [
                  {
                    guard: { type: 'eightDigits', params: ({ event }) => ({ ended: event.output.ended }) },
                    target: 'booking',
                    actions: assign({ patient: ({ event }) => event.output.digits })
                  },
                  { target: 'main', actions: emit(speak('Sorry, a patient number has eight digits.')) }
                ]
              }),
              booking: agent({
                id: 'booking',
                model,
                greeting: 'Thank you. When would you like to come in?',
                voice: { barge_in: interruptible },
                instructions: 'You book appointments for the Smile dental practice, open Monday to Friday, 8:00 to 18:00. ' +
                  'Keep every answer to one or two short sentences. Ask for the day and the time, then call book. ' +
                  'Call transfer_to_person when the caller asks for a person or has a question you cannot answer.',
                tools: {
                  book: {
                    description: 'Book the appointment once the caller has given a day and a time.',
                    parameters: Type.Object({
                      day: Type.Union(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'].map((day) => Type.Literal(day))),
                      time: Type.String({ description: 'The time, as HH:MM', pattern: '^\\d{2}:\\d{2}$' })
                    }),
                    then: { target: '#dentist.booked', actions: assign({ appointment: ({ event }) => event.output.args }) }
                  },
                  transfer_to_person: { description: 'Hand the call to a person.', parameters: Type.Object({}), then: '#dentist.person' }
                },
                noInput: ['Are you still there? Which day would suit you?'],
                onNoInput: '#dentist.person',
                onError: '#dentist.person'
              })
            }
          },
          // Runs beside the call: quiet music until the caller is first silent (it may be drowning them out).
          music: {
            initial: 'playing',
            states: {
              playing: {
                entry: emit(mixAudio({ audio: MUSIC, volume: 0.1 })),
                exit: emit(mixAudio({ stop: true })),
                on: { user_input_timeout: 'off' }
              },
              off: {}
            }
          }
        }
      },
      booked: {
        entry: [
          emit(({ context }) => speak(`You are booked for ${context.appointment?.day ?? ''} at ${context.appointment?.time ?? ''}. See you then!`)),
          emit(hangup())
        ]
      },
      person: { type: 'final', entry: [emit(speak('I am putting you through to our reception.')), emit(transfer(RECEPTION))] },
      ended: { type: 'final' }
    }
  })
}

/** What the scripted model answers each call, in order: one booking. */
export const BOOKING_ANSWERS = [
  'Of course. Which day and time would suit you?',
  { text: 'Let me book that.', tool: { name: 'book', args: { day: 'Tuesday', time: '10:30' } } }
]

/** The line with the scripted model, per call: what `simulate`, `diagram`, `check` and `coverage` load. */
export const flow = dentistFlow(scriptedModel(BOOKING_ANSWERS, { perCall: true }))

export default flow
