import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import express, { type Request, type Response } from 'express'
import { MENU, answerSpeech } from '../../examples/demo-flow'
import type { Running } from './running'

/*
 * What users would otherwise write: Express with `express.json()` and one
 * callback per event type, the way the service's own SDK serves webhooks
 * (`app.post('/webhook', assistant.express())`). The callbacks give the
 * demo's answers; nothing is validated and nothing is kept between events.
 */

type Answer = string | Record<string, unknown>
type Callback = (event: Record<string, any>) => Promise<Answer | Answer[] | undefined>

const callbacks: Record<string, Callback> = {
  session_start: async () => `Welcome to Acme! ${MENU}`,
  user_speak: async (event) => answerSpeech(String(event.text)) as Answer[],
  dtmf_received: async () => MENU,
  user_input_timeout: async () => `Are you still there? ${MENU}`
}

function toAction (answer: Answer, sessionId: string): Record<string, unknown> {
  return typeof answer === 'string'
    ? { type: 'speak', session_id: sessionId, text: answer, user_input_timeout_seconds: 8 }
    : { ...answer, session_id: sessionId }
}

/** One handler for every event: the SDK's `assistant.express()`, in short. */
function assistant (on: Record<string, Callback>) {
  return async (req: Request, res: Response): Promise<void> => {
    const event = req.body as Record<string, any>
    const answer = await on[event.type]?.(event)
    if (answer === undefined || event.type === 'session_end') {
      res.status(204).end()
      return
    }
    const actions = (Array.isArray(answer) ? answer : [answer]).map((a) => toAction(a, event.session.id))
    res.json(actions.length === 1 ? actions[0] : actions)
  }
}

export async function startExpress (): Promise<Running> {
  const app = express()
  app.use(express.json())
  app.post('/webhook', assistant(callbacks))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
