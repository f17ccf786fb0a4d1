import { aiSdkModel } from '../lib/ai-sdk'
import { scriptedModel } from '../lib/testing'
import type { AgentModel } from '../lib'

const CHRISTMAS_EVE = { date: '2026-12-24', time: '19:00', people: 4 }

/** What the scripted model answers each call, in order: one booking, start to end. */
export const DEMO_ANSWERS = [
  'Of course! For which day, at what time, and for how many people?',
  { tool: { name: 'check_availability', args: CHRISTMAS_EVE } },
  'A table for 4 on Christmas Eve at 19:00 is free. Shall I book it?',
  { text: 'Let me book that.', tool: { name: 'book_table', args: CHRISTMAS_EVE } },
  { tool: { name: 'confirm_booking', args: CHRISTMAS_EVE } }
]

/**
 * Luigi's model: a real one when `AI_FLOW_MODEL` names a model of the
 * Vercel AI SDK's gateway (`openai/gpt-4o-mini`, with `AI_GATEWAY_API_KEY`
 * set), otherwise the scripted one, which plays one booking in every call
 * (by the call's conversation, so on any instance).
 */
export function restaurantModel (env: Record<string, string | undefined> = process.env): AgentModel {
  const id = env.AI_FLOW_MODEL
  if (id !== undefined && id !== '') return aiSdkModel(id, { defaults: { maxRetries: 1 } })
  return scriptedModel(DEMO_ANSWERS, { perCall: true })
}
