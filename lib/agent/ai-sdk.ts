import { jsonSchema, streamText, tool, type JSONSchema7, type LanguageModel, type ModelMessage, type ToolSet } from 'ai'
import type { AgentMessage, AgentModel, ModelPart, ModelRequest, ModelTool } from './model'

/*
 * The Vercel AI SDK (`ai` 6 or 7) as an agent model: one adapter, and every
 * provider the SDK has (OpenAI, Anthropic, Google, the AI Gateway, a local
 * model, …) answers an agent state. Loaded only through
 * `fastify-ai-flow/ai-sdk`, so that only its users need `ai` installed.
 *
 * It is typed against `ai` 6 and runs with whichever of the two is
 * installed: 7 is an ES module, which this CommonJS file loads with
 * `require` (Node ≥ 22.12 does so without a flag). What it uses is the same
 * in both lines but for two names, noted where they are used.
 */

/**
 * Appended to what the assistant said when the caller cut it off, so that
 * the model knows the caller heard only that much and did not let it finish.
 */
export const INTERRUPTED_NOTE = ' [interrupted by the caller]'

/** Appended to a caller's turn cut to the state's `turnLimit`, so that the model knows it has only its start. */
export const CUT_NOTE = ' [cut: the caller said more]'

export interface AiSdkModelOptions {
  /** A name for logs, traces and recordings; by default the provider and the model id (`openai.chat/gpt-4o-mini`). */
  name?: string
  /**
   * Call settings for every request (`maxRetries`, `providerOptions`,
   * `maxOutputTokens`, …); a state's own `options` win over them, and
   * `providerOptions` are merged provider by provider (a state's
   * `{ openai: { reasoningEffort } }` keeps the defaults' `{ openai: { store } }`).
   */
  defaults?: Readonly<Record<string, unknown>>
}

/**
 * A model of the Vercel AI SDK as the agent state's model. Every request is
 * one `streamText` call: the state's instructions are the system prompt,
 * its options (`temperature`, …) are passed as call settings, and its tools
 * are offered without `execute`, so that a tool call only comes back as a
 * part: the flow decides what it does.
 *
 * The conversation is sent as the SDK's messages: the caller's turns as
 * `user` (one cut to the state's `turnLimit` ends with
 * ` [cut: the caller said more]`), the assistant's as `assistant` (an interrupted one ends with
 * ` [interrupted by the caller]`), and each tool entry as an assistant
 * tool call and its tool result (an `error-text` result when it was
 * refused), paired by an id made from the entry's position.
 *
 * The stream yields text as it comes and each tool call with its parsed
 * arguments (a call the SDK could not parse comes with its arguments as
 * the model wrote them, for the flow to refuse). An error of the provider
 * is thrown; when the request's signal aborts, the SDK ends the stream and
 * so does the iteration, without an error.
 *
 * @example
 * import { openai } from '@ai-sdk/openai'
 * import { aiSdkModel } from 'fastify-ai-flow/ai-sdk'
 *
 * const model = aiSdkModel(openai('gpt-4o-mini'), { defaults: { maxRetries: 1 } })
 */
export function aiSdkModel (model: LanguageModel, options: AiSdkModelOptions = {}): AgentModel {
  return {
    name: options.name ?? nameOf(model),
    stream: (request) => streamParts(model, options.defaults, request)
  }
}

async function * streamParts (model: LanguageModel, defaults: AiSdkModelOptions['defaults'], request: ModelRequest): AsyncGenerator<ModelPart> {
  // ai 7 names the system prompt `instructions` and prefers it to `system`, which it still takes; ai 6 knows only
  // `system` and drops what it does not know. Both are set, after the options, so that no option replaces the prompt.
  const instructions = { instructions: request.instructions }
  const result = streamText({
    ...defaults,
    ...request.options,
    providerOptions: mergeProviderOptions(defaults?.providerOptions, request.options?.providerOptions),
    ...instructions,
    model,
    system: request.instructions,
    messages: toModelMessages(request.messages),
    prompt: undefined,
    tools: toToolSet(request.tools),
    abortSignal: request.signal,
    // The error is thrown below, where the state catches it; the default would also print it to the console.
    onError: () => {}
  })
  // ai 7 calls this stream `stream` and keeps `fullStream` as its other name; ai 6 has only `fullStream`.
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') yield { type: 'text', text: part.text }
    else if (part.type === 'tool-call') yield { type: 'tool-call', name: part.toolName, args: part.input }
    else if (part.type === 'error') throw part.error
  }
}

/**
 * The conversation as the SDK's messages. A tool entry becomes the SDK's own
 * tool call and tool result rather than a note in text: every provider
 * sends them as its native tool turns, so the model sees its earlier calls
 * as calls, and the SDK checks that each call has its result. The two share
 * the id `call-<position>`, the entry's position in this request: unique
 * within the request, which is all the pairing needs, but not the same from
 * one request to the next once the history is trimmed.
 */
function toModelMessages (messages: readonly AgentMessage[]): ModelMessage[] {
  return messages.flatMap((message, position): ModelMessage[] => {
    if (message.role === 'caller') return [{ role: 'user', content: message.cut === true ? message.text + CUT_NOTE : message.text }]
    if (message.role === 'assistant') {
      const text = message.interrupted === true ? message.text + INTERRUPTED_NOTE : message.text
      // Providers refuse an empty text (Anthropic does); a turn with nothing said has nothing to tell the model.
      return text === '' ? [] : [{ role: 'assistant', content: text }]
    }
    const toolCallId = `call-${position}`
    return [
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId, toolName: message.name, input: message.args }] },
      {
        role: 'tool',
        content: [{
          type: 'tool-result',
          toolCallId,
          toolName: message.name,
          output: message.ok ? { type: 'text', value: message.result } : { type: 'error-text', value: message.result }
        }]
      }
    ]
  })
}

type ProviderOptions = NonNullable<Parameters<typeof streamText>[0]['providerOptions']>

/** The defaults' provider options under the state's, merged one provider at a time. */
function mergeProviderOptions (defaults: unknown, own: unknown): ProviderOptions | undefined {
  const base = defaults as ProviderOptions | undefined
  const state = own as ProviderOptions | undefined
  if (base === undefined || state === undefined) return state ?? base
  const providers = new Set([...Object.keys(base), ...Object.keys(state)])
  return Object.fromEntries([...providers].map((provider) => [provider, { ...base[provider], ...state[provider] }]))
}

function toToolSet (tools: readonly ModelTool[]): ToolSet {
  return Object.fromEntries(tools.map((offered) => [offered.name, tool({
    description: offered.description,
    // A TypeBox schema is a JSON Schema; its symbol keys are not sent.
    inputSchema: jsonSchema(offered.parameters as JSONSchema7)
  })]))
}

function nameOf (model: LanguageModel): string {
  return typeof model === 'string' ? model : `${model.provider}/${model.modelId}`
}
