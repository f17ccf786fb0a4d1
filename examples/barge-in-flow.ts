import { emit } from 'xstate'
import { bargeIn, hangup, menu, setupFlow, speak } from '../lib'

// Callers may talk over the menu once they have said a word (five characters), but not in its first second.
const interruptible = { strategy: 'minimum_characters', minimum_characters: 5, allow_after_ms: 1000 } as const

/** A notice no one can talk over, a menu one can, and hold music the flow stops itself when the caller speaks. */
export const flow = setupFlow().createMachine({
  id: 'bargeIn',
  initial: 'notice',
  states: {
    notice: {
      on: {
        session_start: { target: 'menu', actions: emit(speak('This call is recorded.', { barge_in: { strategy: 'none' } })) }
      }
    },
    menu: menu({
      id: 'menu',
      say: speak('Say sales or support.', { barge_in: interruptible }),
      choices: { sales: { dtmf: '1', words: ['sales'] }, support: { dtmf: '2', words: ['support'] } },
      on: { sales: 'hold', support: 'hold' },
      onNoInput: 'bye',
      onNoMatch: 'bye'
    }),
    hold: {
      entry: emit(speak('Please hold, or tell me what it is about.', { barge_in: { strategy: 'manual' } })),
      on: {
        // With the manual strategy only a barge_in action stops the playback: here, as soon as the caller speaks.
        user_speech_started: { actions: emit(bargeIn()) },
        user_speak: { target: 'bye', actions: emit(({ event }) => speak(`Noted: ${event.text}.`)) }
      }
    },
    bye: { entry: emit(hangup()), type: 'final' }
  }
})
