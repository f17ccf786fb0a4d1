import { Value } from '@sinclair/typebox/value'
import { fromPromise } from 'xstate'
import type { AgentMessage, AgentModel, ModelTool } from './model'
import { SentenceSplitter } from './sentences'
import { streamModel } from './model-calls'

/** What the agent state hands the model for one caller turn. */
export interface ModelTurnInput {
  instructions: string
  messages: AgentMessage[]
  options?: Record<string, unknown>
  /** The call's session, as the caller's turn had it: never sent to the model, only masked in a recording. */
  session?: Record<string, unknown>
}

/** The type of {@link SentenceEvent}. */
export const SENTENCE = 'agent.sentence'

/** A sentence of the model's answer, complete and ready to be spoken, while the rest is still coming. */
export interface SentenceEvent { type: typeof SENTENCE, text: string }

/** How one model turn ended. */
export type ModelTurnOutput = {
  /** The last sentence of the answer, spoken when the turn ends (the others went as they came). */
  last?: string
  /** Tool calls the turn refused, with why: they join the conversation. */
  refused: AgentMessage[]
} & ({ result: 'answer' } | { result: 'tool', tool: string, args: unknown })

/** Asks the model again after a refused tool call at most this many times in one turn. */
const MAX_REFUSALS = 2

/** Why a tool call cannot be taken, or undefined when it can. */
function refusal (tools: readonly ModelTool[], name: string, args: unknown): string | undefined {
  const tool = tools.find((candidate) => candidate.name === name)
  if (tool === undefined) return `there is no tool "${name}" here; the tools are: ${tools.map((t) => t.name).join(', ') || 'none'}`
  if (Value.Check(tool.parameters, args)) return undefined
  const problems = [...Value.Errors(tool.parameters, args)].map((error) => `${error.path === '' ? 'arguments' : error.path}: ${error.message}`)
  return `invalid arguments for "${name}": ${problems.join('; ')}`
}

/**
 * The promise work of one caller turn in an agent state: asks the model,
 * emits each complete sentence of its answer as it comes (the state speaks
 * it), and ends with the answer's last sentence or the tool the model
 * called. A tool call the state does not offer, or with arguments that do
 * not fit its schema, is never taken: the model is told why and asked
 * again. It stops, and says nothing more, once `signal` aborts.
 */
export function modelTurn (model: AgentModel, tools: readonly ModelTool[]) {
  return fromPromise<ModelTurnOutput, ModelTurnInput, SentenceEvent>(async ({ input, signal, emit, system }) => {
    const refused: AgentMessage[] = []
    for (;;) {
      const splitter = new SentenceSplitter()
      let called: { name: string, args: unknown } | undefined
      const request = { instructions: input.instructions, messages: [...input.messages, ...refused], tools, options: input.options, signal }
      for await (const part of streamModel(model, request, system, input.session)) {
        signal.throwIfAborted()
        if (part.type === 'tool-call') {
          called = { name: part.name, args: part.args }
          break
        }
        for (const text of splitter.push(part.text)) emit({ type: SENTENCE, text })
      }
      signal.throwIfAborted()
      const last = splitter.end()
      if (called === undefined) return { result: 'answer', last, refused }
      const problem = refusal(tools, called.name, called.args)
      if (problem === undefined) return { result: 'tool', tool: called.name, args: called.args, last, refused }
      if (last !== undefined) emit({ type: SENTENCE, text: last })
      refused.push({ role: 'tool', name: called.name, args: called.args, ok: false, result: problem })
      if (refused.length > MAX_REFUSALS) throw new Error(`the model called no tool it may call here ${refused.length} times; last: ${problem}`)
    }
  })
}
