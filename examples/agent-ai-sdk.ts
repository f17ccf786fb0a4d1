import type { LanguageModel } from 'ai'
import { aiSdkModel } from '../lib/ai-sdk'

/*
 * `provider` is any model of the AI SDK: `openai('gpt-4o-mini')` from
 * @ai-sdk/openai, `anthropic('claude-haiku-4-5')` from @ai-sdk/anthropic, or
 * an AI Gateway id such as 'openai/gpt-4o-mini'. The agent state asks it the
 * way this function does, once per caller turn.
 */
export async function answer (provider: LanguageModel, question: string, signal: AbortSignal): Promise<string> {
  const model = aiSdkModel(provider, { defaults: { maxRetries: 1 } })
  let said = ''
  for await (const part of model.stream({
    instructions: 'You answer the phone for Trattoria Roma. Keep it short: it is read aloud.',
    messages: [{ role: 'caller', text: question }],
    tools: [],
    options: { temperature: 0.3 },
    signal
  })) {
    if (part.type === 'text') said += part.text
  }
  return said
}
