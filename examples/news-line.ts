import { emit } from 'xstate'
import { bargeIn, setupFlow, speak } from '../lib'

/**
 * Reads the news until the caller starts talking, then stops playback and
 * asks what they want: 1 for sports, 2 for the weather. The topics are
 * states inside `reading`, so a test can ask for `'reading'` or for
 * `{ reading: 'weather' }`.
 */
export const flow = setupFlow().createMachine({
  id: 'newsLine',
  initial: 'welcome',
  states: {
    welcome: {
      on: { session_start: { target: 'reading', actions: emit(speak('Here are the headlines. Interrupt me at any time.')) } }
    },
    reading: {
      initial: 'headlines',
      states: { headlines: {}, sports: {}, weather: {} },
      on: {
        // Sent over the WebSocket as soon as the caller makes a sound: stop talking, then ask.
        user_speech_started: { target: 'asking', actions: [emit(bargeIn()), emit(speak('Yes? Press 1 for sports, 2 for the weather.'))] }
      }
    },
    asking: {
      on: {
        dtmf_received: [
          { guard: ({ event }) => event.digit === '1', target: 'reading.sports', actions: emit(speak('Sports: the home team won.')) },
          { guard: ({ event }) => event.digit === '2', target: 'reading.weather', actions: emit(speak('Weather: sunny, 21 degrees.')) }
        ]
      }
    }
  }
})
