import { aiSdkModel } from '../lib/ai-sdk'
import type { AgentModel } from '../lib'
import { scriptedModels } from './front-desk'

/**
 * The models of Acme's line: real ones when `AI_FLOW_MODEL` names a model
 * of the Vercel AI SDK's gateway (`openai/gpt-4o-mini`, with
 * `AI_GATEWAY_API_KEY` set; billing's may be another, `AI_FLOW_BILLING_MODEL`),
 * otherwise the scripted ones, which play one call to billing in every call.
 */
export function frontDeskModels (env: Record<string, string | undefined> = process.env): { desk: AgentModel, billing: AgentModel } {
  const id = env.AI_FLOW_MODEL
  if (id === undefined || id === '') return scriptedModels()
  const billing = env.AI_FLOW_BILLING_MODEL
  return {
    desk: aiSdkModel(id, { defaults: { maxRetries: 1 } }),
    billing: aiSdkModel(billing === undefined || billing === '' ? id : billing, { defaults: { maxRetries: 1 } })
  }
}
