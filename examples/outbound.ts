import Fastify, { type FastifyInstance } from 'fastify'
import { createConversationFlow, fastifyAiFlow, hangup, placeCall, type OutboundCallResult } from '../lib'

export const reminderFlow = createConversationFlow({
  greeting: 'Hello, this is Acme. How can I help?',
  // Calls the application started arrive with session.direction "outbound".
  outboundGreeting: 'Hello, this is Acme with a reminder: your appointment is tomorrow at 10. Press 1 to confirm.',
  onDtmf: ({ event }) => event.digit === '1' ? ['Thank you, see you tomorrow!', hangup()] : 'Please press 1 to confirm.'
})

export interface ReminderSettings {
  /** A token for the service's API. */
  apiToken: string
  /** The AI flow whose phone number calls out. */
  aiFlowId: string
  /** Default: the service's own. */
  baseUrl?: string
}

export function buildServer ({ apiToken, aiFlowId, baseUrl }: ReminderSettings): FastifyInstance {
  const app = Fastify()
  app.register(fastifyAiFlow, { flow: reminderFlow, websocket: true, outbound: { token: apiToken, baseUrl } })
  app.post<{ Body: { phoneNumber: string } }>('/reminders', async (request, reply) => {
    // Rejects with a coded error (FST_AIFLOW_CALL_REFUSED, …): Fastify answers 502 or 504.
    await app.aiFlow.call({ aiFlowId, toPhoneNumber: request.body.phoneNumber, billingDevice: 'e2' })
    return reply.code(202).send({ calling: request.body.phoneNumber })
  })
  return app
}

/** The same without a server, from a script or a job queue. */
export async function remind (phoneNumber: string, { apiToken, aiFlowId, baseUrl }: ReminderSettings): Promise<OutboundCallResult> {
  return await placeCall({ aiFlowId, toPhoneNumber: phoneNumber, billingDevice: 'e2' }, { token: apiToken, baseUrl })
}
