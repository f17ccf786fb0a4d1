import { assign, emit } from 'xstate'
import { collectDigits, hangup, prompt, setupFlow, speak, type DigitsEnd } from '../lib'

const spelled = (digits: string): string => digits.split('').join(' ')

export const flow = setupFlow({
  types: { context: {} as { pin: string } },
  guards: {
    // The transition hands the guard what it needs from the fragment's output.
    fourDigits: (_, params: { ended: DigitsEnd }) => params.ended === 'length'
  }
}).createMachine({
  id: 'pinCheck',
  context: { pin: '' },
  initial: 'idle',
  states: {
    idle: { on: { session_start: 'pin' } },
    pin: collectDigits({
      id: 'pin',
      say: 'Please enter your four-digit PIN.',
      length: 4,
      interDigitTimeout: 4000,
      onDone: [
        { guard: { type: 'fourDigits', params: ({ event }) => ({ ended: event.output.ended }) }, target: 'confirm', actions: assign({ pin: ({ event }) => event.output.digits }) },
        { target: 'goodbye' }
      ]
    }),
    confirm: prompt({
      id: 'confirm',
      say: ({ context }) => `You entered ${spelled(context.pin)}. Press 1 if that is right, 2 to enter it again.`,
      match: (reply) => reply.type === 'dtmf_received' && (reply.digit === '1' || reply.digit === '2') ? reply.digit : undefined,
      noInput: ['Press 1 if that is right, 2 to enter it again.'],
      noMatch: ['Sorry: 1 if that is right, 2 to enter it again.'],
      onMatch: [{ guard: ({ event }) => event.output.value === '1', target: 'welcome' }, { target: 'pin' }],
      onNoInput: 'goodbye',
      onNoMatch: 'goodbye'
    }),
    welcome: { entry: [emit(speak('Thank you, you are signed in.')), emit(hangup())] },
    goodbye: { entry: [emit(speak('Goodbye.')), emit(hangup())] }
  }
})

export default flow
