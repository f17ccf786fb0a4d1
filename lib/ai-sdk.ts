/*
 * `fastify-ai-flow/ai-sdk`: the Vercel AI SDK adapter for the agent state,
 * apart from the main entry so that only its users need `ai` installed.
 */
export { aiSdkModel, CUT_NOTE, INTERRUPTED_NOTE, type AiSdkModelOptions } from './agent/ai-sdk'
