import type { TSchema } from '@sinclair/typebox'

/**
 * One entry of a call's conversation with its model, as the call's context
 * keeps it: plain JSON, so it is stored and restored with the call.
 */
export type AgentMessage =
  /**
   * What the caller said (the transcript of one `user_speak`): `cut` when
   * it was longer than the state's `turnLimit`, and `text` is only its start.
   */
  | { role: 'caller', text: string, cut?: true }
  /**
   * What the assistant said, as far as the caller heard it: `interrupted`
   * when the caller cut it off (barge-in), and then `text` is only what
   * was played before.
   */
  | { role: 'assistant', text: string, interrupted?: true }
  /**
   * A tool the model called, and what came of it: `ok` false when it was
   * refused or failed (the error goes back to the model). A function tool's
   * result has the `round` of the caller's turn it ran in, from 1. A
   * transition tool that handed the call over to another agent state has
   * `handoff`, the id of the state it came from, and its `result` is the
   * note the new agent is given.
   */
  | { role: 'tool', name: string, args: unknown, ok: boolean, result: string, round?: number, handoff?: string }

/** A tool the model may call: one transition the agent state offers. */
export interface ModelTool {
  name: string
  description: string
  /** Its arguments, as a JSON Schema (a TypeBox schema is one). */
  parameters: TSchema
}

/** What a model is asked, once per caller turn (and again after a refused tool call). */
export interface ModelRequest {
  /** The state's instructions (a system prompt). */
  instructions: string
  /** The conversation so far, oldest first; the caller's latest turn is last. */
  messages: readonly AgentMessage[]
  tools: readonly ModelTool[]
  /** The state's own model options (temperature, …), passed as they are. */
  options?: Readonly<Record<string, unknown>>
  /** Aborted when the caller interrupts, the call leaves the state, or the model times out. */
  signal: AbortSignal
}

/** A piece of what a model answers: text as it comes, or a tool call. */
export type ModelPart =
  | { type: 'text', text: string }
  | { type: 'tool-call', name: string, args: unknown }

/**
 * A language model, as the agent state uses it: it answers a request with
 * a stream of text and tool calls, and stops when the signal aborts. An
 * adapter makes one of any provider (`aiSdkModel` for the Vercel AI SDK);
 * `scriptedModel` in the testing kit answers from a list.
 */
export interface AgentModel {
  /** A name for logs, traces and recordings. */
  readonly name: string
  stream (request: ModelRequest): AsyncIterable<ModelPart>
}
