import Fastify from 'fastify'
import { createConversationFlow, fastifyAiFlow, hangup, transfer } from '../lib'

const flow = createConversationFlow({
  greeting: 'Welcome to Acme. Press 1 for sales, or tell me what you need.',
  onDtmf: ({ event }) => event.digit === '1'
    ? transfer({ target_phone_number: '4930123456', caller_id_name: 'Acme', caller_id_number: '4930000000', timeout: 30 })
    : 'Sorry, I only know the key 1.',
  onUserSpeak: ({ event }) => /bye/i.test(event.text) ? ['Goodbye!', hangup()] : 'Press 1 for sales.'
}, { userInputTimeoutSeconds: 8 })

const app = Fastify({ logger: true })
app.register(fastifyAiFlow, {
  flow,
  path: '/webhook',
  token: process.env.AI_FLOW_TOKEN // checked against X-API-TOKEN when set
})

export default app
