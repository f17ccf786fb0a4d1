import { createConversationFlow } from '../lib'

export const flow = createConversationFlow({
  greeting: 'Hello! What can I do for you?',
  onUserSpeak: ({ event }) => `You said: ${event.text}. Anything else?`
}, { userInputTimeoutSeconds: 8 })
