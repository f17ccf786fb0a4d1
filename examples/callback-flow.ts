import { assign, emit } from 'xstate'
import { hangup, setupFlow, speak, transfer } from '../lib'

const ASK = { user_input_timeout_seconds: 6 }

/**
 * A callback line: the caller says their name and is promised a call back,
 * or presses 0 for the operator. Silence gets one reminder, then a goodbye.
 */
export const flow = setupFlow({
  types: { context: {} as { reminders: number } },
  guards: {
    pressedZero: ({ event }) => event.type === 'dtmf_received' && event.digit === '0',
    remindedOnce: ({ context }) => context.reminders >= 1
  }
}).createMachine({
  id: 'callback',
  context: { reminders: 0 },
  initial: 'greeting',
  states: {
    greeting: {
      on: {
        session_start: { target: 'askName', actions: emit(speak('Hello! Please say your name, or press 0 for the operator.', ASK)) }
      }
    },
    askName: {
      on: {
        user_speak: {
          target: 'done',
          actions: [emit(({ event }) => speak(`Thank you, ${event.text}. We will call you back today. Goodbye!`)), emit(hangup())]
        },
        dtmf_received: {
          guard: 'pressedZero',
          target: 'operator',
          actions: emit(transfer({ target_phone_number: '+4921155660', caller_id_name: 'Callback line', caller_id_number: '+4921155600', timeout: 20 }))
        },
        user_input_timeout: [
          { guard: 'remindedOnce', target: 'done', actions: [emit(speak('Sorry, I cannot hear you. Goodbye!')), emit(hangup())] },
          { actions: [assign({ reminders: ({ context }) => context.reminders + 1 }), emit(speak('Are you still there? Just say your name.', ASK))] }
        ]
      }
    },
    operator: {
      on: {
        session_start: { target: 'askName', actions: emit(speak('The operator is busy. Please say your name and we will call you back.', ASK)) }
      }
    },
    done: { type: 'final' }
  }
})
