import { emit } from 'xstate'
import { hangup, setupFlow, speak } from '../lib'

export const helloFlow = setupFlow().createMachine({
  id: 'hello',
  initial: 'greeting',
  states: {
    greeting: {
      on: {
        session_start: { target: 'waiting', actions: emit(speak('Hello! Press any key to end the call.')) }
      }
    },
    waiting: {
      on: {
        dtmf_received: { target: 'done', actions: [emit(({ event }) => speak(`You pressed ${event.digit}. Goodbye!`)), emit(hangup())] }
      }
    },
    done: { type: 'final' }
  }
})
