/*
 * An appointment booking bot. A language model reads what the caller says;
 * here it is `understand`, a fake that runs offline, swappable with
 * `flow.provide({ actors: { understand } })` for a real one (or in tests).
 *
 *   npx fastify-ai-flow simulate examples/booking-bot.ts
 */
import { assign, emit, fromPromise } from 'xstate'
import { hangup, prompt, setupFlow, speak, type Reply, type Session } from '../lib'

/** What the caller has told so far. */
export interface Slot {
  day?: string
  time?: string
}

export interface Understood extends Slot {
  /** What to ask next when the slot is not complete yet. */
  question?: string
}

const days = ['today', 'tomorrow', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday']

/**
 * The offline stand-in for a language model: finds a weekday and a time in
 * what the caller said, keeps what was understood before, and asks for what
 * is missing.
 */
export async function fakeUnderstand ({ text, known }: { text: string, known: Slot }): Promise<Understood> {
  const words = text.toLowerCase()
  if (/\b(saturday|sunday|weekend)\b/.test(words)) return { ...known, question: 'We are closed at weekends. Which weekday suits you?' }
  const day = days.find((name) => new RegExp(`\\b${name}\\b`).test(words)) ?? known.day
  const hour = /\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|o'clock)?\b/.exec(words)
  const time = hour === null ? known.time : `${hour[1]}${hour[2] === undefined ? '' : `:${hour[2]}`}${hour[3] === 'pm' || hour[3] === 'am' ? ` ${hour[3]}` : ''}`
  if (day === undefined && time === undefined) return { question: 'Sorry, when would you like to come? For example: tomorrow at 10 am.' }
  if (day === undefined) return { time, question: `On which day, at ${time}?` }
  if (time === undefined) return { day, question: `At what time ${day === 'today' || day === 'tomorrow' ? day : `on ${day}`}?` }
  return { day, time }
}

/** Reads yes or no, by voice or by key (1 yes, 2 no). */
export function yesOrNo (reply: Reply): boolean | undefined {
  if (reply.type === 'dtmf_received') return reply.digit === '1' ? true : reply.digit === '2' ? false : undefined
  if (/\b(yes|yeah|sure|please do|correct)\b/i.test(reply.text)) return true
  return /\b(no|nope|not)\b/i.test(reply.text) ? false : undefined
}

const anySpeech = (reply: Reply): string | undefined => reply.type === 'user_speak' && reply.text.trim() !== '' ? reply.text : undefined

interface Context extends Slot {
  session: Session
  question: string
  heard: string
  reference?: string
}

export const flow = setupFlow({
  types: { context: {} as Context },
  actors: {
    understand: fromPromise<Understood, { text: string, known: Slot }>(async ({ input }) => await fakeUnderstand(input)),
    book: fromPromise<{ reference: string }, { day: string, time: string }>(async () => ({ reference: 'A-1042' }))
  },
  guards: {
    // The transitions hand the guards what they need from the output they see.
    slotComplete: (_, params: Understood) => params.question === undefined,
    saidYes: (_, params: { answer: boolean }) => params.answer
  }
}).createMachine({
  id: 'booking',
  context: ({ input }) => ({
    session: input.session,
    question: 'Hello! I can book you an appointment. When would you like to come?',
    heard: ''
  }),
  initial: 'idle',
  on: { session_end: '.ended' },
  states: {
    idle: { on: { session_start: 'ask' } },
    ask: prompt({
      id: 'ask',
      say: ({ context }) => context.question,
      match: anySpeech,
      noInput: ['Are you still there? Please tell me a day and a time.'],
      noMatch: ['Please tell me a day and a time.'],
      onMatch: { target: 'thinking', actions: assign({ heard: ({ event }) => event.output.value }) },
      onNoInput: 'goodbye',
      onNoMatch: 'goodbye'
    }),
    thinking: {
      invoke: {
        src: 'understand',
        input: ({ context }) => ({ text: context.heard, known: { day: context.day, time: context.time } }),
        onDone: [
          { guard: { type: 'slotComplete', params: ({ event }) => event.output }, target: 'confirm', actions: assign(({ event }) => ({ day: event.output.day, time: event.output.time })) },
          { target: 'ask', actions: assign(({ event }) => ({ day: event.output.day, time: event.output.time, question: event.output.question })) }
        ],
        onError: 'failed'
      }
    },
    confirm: prompt({
      id: 'confirm',
      say: ({ context }) => `${String(context.day)} at ${String(context.time)}. Shall I book it? Say yes or no.`,
      match: yesOrNo,
      noMatch: ['Please say yes or no, or press 1 for yes and 2 for no.'],
      onMatch: [
        { guard: { type: 'saidYes', params: ({ event }) => ({ answer: event.output.value }) }, target: 'booking' },
        { target: 'ask', actions: assign({ day: undefined, time: undefined, question: 'When would you like to come instead?' }) }
      ],
      onNoInput: 'goodbye',
      onNoMatch: 'goodbye'
    }),
    booking: {
      invoke: {
        src: 'book',
        input: ({ context }) => ({ day: String(context.day), time: String(context.time) }),
        onDone: { target: 'booked', actions: assign({ reference: ({ event }) => event.output.reference }) },
        onError: 'failed'
      }
    },
    booked: {
      entry: [
        emit(({ context }) => speak(`Done: ${String(context.day)} at ${String(context.time)}, reference ${String(context.reference)}. Goodbye!`)),
        emit(hangup())
      ]
    },
    failed: { entry: [emit(speak('Sorry, I cannot book appointments right now. Please call again later.')), emit(hangup())] },
    goodbye: { entry: [emit(speak('Goodbye.')), emit(hangup())] },
    ended: { type: 'final' }
  }
})

export default flow
