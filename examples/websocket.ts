import Fastify, { type FastifyInstance } from 'fastify'
import { emit, fromPromise } from 'xstate'
import { bargeIn, fastifyAiFlow, setupFlow, speak, type UserSpeakEvent } from '../lib'

/** Stands in for a language model that takes its time. */
export async function askModel (question: string, ms = 4000): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return `Here is what I know about ${question}.`
}

export const assistantFlow = setupFlow({
  actors: { answer: fromPromise<string, { question: string }>(async ({ input }) => await askModel(input.question)) }
}).createMachine({
  id: 'assistant',
  initial: 'listening',
  on: {
    session_start: { actions: emit(speak('Hello! Ask me anything.')) },
    // Only the WebSocket carries it: the caller started talking, so stop talking at once.
    user_speech_started: { actions: emit(bargeIn()) }
  },
  states: {
    listening: {
      on: { user_speak: { target: 'thinking', actions: emit(speak('Let me think.')) } }
    },
    thinking: {
      invoke: {
        src: 'answer',
        input: ({ event }) => ({ question: (event as UserSpeakEvent).text }),
        // No deadline on the WebSocket: the answer goes out when it is ready.
        onDone: { target: 'listening', actions: emit(({ event }) => speak(event.output)) }
      }
    }
  }
})

export function buildServer (flow = assistantFlow): FastifyInstance {
  const app = Fastify()
  app.register(fastifyAiFlow, {
    flow,
    token: process.env.AI_FLOW_TOKEN || undefined,
    // The service connects to wss://<your host>/ws; POST /webhook stays available.
    websocket: { path: '/ws', maxBufferedBytes: 1024 * 1024, pingInterval: 30_000 }
  })
  return app
}
