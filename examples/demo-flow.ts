import { bargeIn, createConversationFlow, hangup, transfer, type FlowAction } from '../lib'

/*
 * The demo assistant of a small shop: a key menu, a few spoken keywords,
 * a person to transfer to, and polite handling of silence and interruptions.
 */

/** Where "talk to a person" goes. A real assistant reads this from its configuration. */
export const AGENT_NUMBER = '+4921155660'

export const MENU = 'Press 1 for our opening hours, 2 to talk to a person, 0 to hear this menu again, or 9 to end the call. ' +
  'You can also just say what you need.'
export const HOURS = 'We are open Monday to Friday, from 9 in the morning to 6 in the evening.'
export const GOODBYE = 'Thank you for calling Acme. Goodbye!'

type Answer = Array<string | FlowAction>

const goodbye = (): Answer => [GOODBYE, hangup()]

/** A transfer with a timeout: when nobody answers, the call comes back to the flow. */
const toAgent = (): Answer => [
  'One moment, I am putting you through.',
  transfer({ target_phone_number: AGENT_NUMBER, caller_id_name: 'Acme assistant', caller_id_number: AGENT_NUMBER, timeout: 20 })
]

const keys: Record<string, () => Answer> = {
  1: () => [HOURS, 'Anything else? ' + MENU],
  2: toAgent,
  0: () => [MENU],
  '#': () => [MENU],
  9: goodbye
}

const keywords: Array<[RegExp, () => Answer]> = [
  [/\b(hours|open|opening)\b/i, () => [HOURS, 'Anything else?']],
  [/\b(agent|person|human|someone)\b/i, toAgent],
  [/\b(menu|options)\b/i, () => [MENU]],
  [/\b(bye|goodbye)\b/i, goodbye]
]

/** What the caller said, answered by the first keyword it contains. */
export function answerSpeech (text: string): Answer {
  const match = keywords.find(([pattern]) => pattern.test(text))
  return match === undefined
    ? ['Sorry, I did not catch that. You can say hours, agent or goodbye, or press 0 for the menu.']
    : match[1]()
}

export const demoFlow = createConversationFlow({
  greeting: `Welcome to Acme! ${MENU}`,
  outboundGreeting: `Hello, this is the Acme assistant calling. ${MENU}`,
  onDtmf: ({ event }) => keys[event.digit]?.() ?? [`Sorry, ${event.digit} is not on the menu. ${MENU}`],
  onUserSpeak: ({ event }) => answerSpeech(event.text),
  onBargeIn: ({ event }) => ['Sorry for talking over you.', ...answerSpeech(event.text)],
  // Over the WebSocket, the caller's first sound stops our speech at once, before any transcript.
  onUserSpeechStarted: ({ playing }) => playing ? bargeIn() : undefined,
  onTimeout: ({ timeouts }) => timeouts === 1 ? `Are you still there? ${MENU}` : 'I still cannot hear you. Press 0 for the menu.',
  onTooManyTimeouts: ['It seems we have a bad line. Please call again.', hangup()],
  onTransferFailed: `Sorry, nobody could take your call right now. ${MENU}`
}, { maxTimeouts: 2, userInputTimeoutSeconds: 8 })

/** For the CLI: `npx fastify-ai-flow simulate examples/demo-flow.ts`. */
export { demoFlow as flow }
export default demoFlow
