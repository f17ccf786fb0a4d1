import { fromPromise, type MachineContext } from 'xstate'
import { messageOf } from '../error-message'
import type { AgentMessage } from './model'
import type { AgentMemory } from './memory'

/** What a handoff's note and summary are given: who hands the call over, with which tool, and why. */
export interface HandoffArgs<A = unknown, C extends MachineContext = MachineContext> {
  /** The id of the agent state that hands the call over. */
  from: string
  /** The transition tool the model called. */
  tool: string
  /** Its arguments, typed from its schema (a `reason`, an invoice number, …). */
  args: A
  /** The flow's context when the model called it. */
  context: C
}

/** What a handoff's summary hook is given. */
export interface HandoffSummaryArgs<A = unknown, C extends MachineContext = MachineContext> extends HandoffArgs<A, C> {
  /** The conversation so far, oldest first, without the handoff's own tool call. */
  messages: AgentMessage[]
  /** Aborted on hang-up, on `close()`, and when the summary takes longer than the state's `modelTimeout`. */
  signal: AbortSignal
}

/**
 * How a transition tool hands the call over to the agent state it leads
 * into: what of the conversation goes with it, and the note that tells the
 * new agent's model it was handed the call.
 */
export interface Handoff<A = unknown, C extends MachineContext = MachineContext> {
  /**
   * What of the conversation the new agent gets: `'whole'` (the default),
   * its last so many messages (a number), or a summary: a function
   * that returns (or resolves to) text which stands for the conversation.
   * A summary runs as the flow's work, in the state `handingOff`; when it
   * throws or takes longer than `modelTimeout`, the state takes `onError`.
   */
  conversation?: 'whole' | number | ((args: HandoffSummaryArgs<A, C>) => string | Promise<string>)
  /**
   * The note the new agent's model is given, as the result of the handoff's
   * tool call: by default it names the agent that handed the call over,
   * the tool and its arguments, and says what of the conversation came
   * with it (and the summary).
   */
  note?: (args: HandoffArgs<A, C> & { summary?: string }) => string
}

/** Any handoff, as the state runs it. */
export type AnyHandoff = true | Handoff<any, any>

/** A handoff's options, `true` standing for the defaults. */
export const handoffOf = (handoff: AnyHandoff): Handoff<any, any> => handoff === true ? {} : handoff

/** The note the new agent gets unless the handoff says otherwise. */
function defaultNote ({ from, tool, args, summary }: HandoffArgs & { summary?: string }, kept: string): string {
  const reason = args !== null && typeof args === 'object' && Object.keys(args).length === 0 ? '' : ` ${JSON.stringify(args)}`
  const head = `The call was handed over to you by the agent "${from}" (${tool}${reason}). Carry on with the caller from here.`
  return summary === undefined ? `${head} ${kept}` : `${head} What was said before: ${summary}`
}

/**
 * The conversation as the new agent gets it: the messages that go with the
 * call (all, or the last `conversation` of them), then the handoff's tool
 * call with its note as the result, marked with the agent it came from.
 * With a summary, none go but the messages in `memory`, which are those
 * said since the summary began (the caller's turns meanwhile): they follow
 * the note. The answer being spoken goes on playing.
 */
export function handedOver (memory: AgentMemory, handoff: Handoff<any, any>, args: HandoffArgs, summary?: string): AgentMemory {
  const { conversation = 'whole' } = handoff
  const told = conversation === 'whole' ? 'The conversation so far is above.' : 'The last messages of the conversation are above.'
  const note = handoff.note === undefined ? defaultNote({ ...args, summary }, told) : handoff.note({ ...args, ...(summary === undefined ? {} : { summary }) })
  const entry: AgentMessage = { role: 'tool', name: args.tool, args: args.args, ok: true, result: note, handoff: args.from }
  const { messages } = memory
  const handed = summary !== undefined ? [entry, ...messages] : [...(conversation === 'whole' ? messages : messages.slice(-(conversation as number))), entry]
  return { ...memory, messages: handed, handover: args.from }
}

/** The messages after the last tool call `name` that was taken and handed nothing over yet: said while its summary was made. */
export function since (messages: readonly AgentMessage[], name: string): AgentMessage[] {
  let index = messages.length - 1
  while (index >= 0 && !isTaken(messages[index], name)) index--
  // Trimmed away by the history: every message left came after it.
  return messages.slice(index + 1)
}

const isTaken = (message: AgentMessage, name: string): boolean => message.role === 'tool' && message.name === name && message.result === 'taken' && message.handoff === undefined

/** What the state hands the work that summarises the conversation for a handoff. */
export interface SummaryInput { args: HandoffArgs, messages: AgentMessage[] }

/** How the summary ended: the tool call it was made for, for the state's output, and the text. */
export interface SummaryOutput { result: 'tool', tool: string, args: unknown, summary: string }

/**
 * The promise work that summarises the conversation for a handoff: it runs
 * the summary hook of the tool the model called, and ends with its text.
 */
export function summary (hooks: Readonly<Record<string, (args: HandoffSummaryArgs) => string | Promise<string>>>) {
  return fromPromise<SummaryOutput, SummaryInput>(async ({ input, signal }) => {
    const { tool, args } = input.args
    let text: unknown
    try {
      text = await hooks[tool]({ ...input.args, messages: input.messages, signal })
    } catch (err) {
      throw new Error(`the summary for ${tool} failed: ${messageOf(err)}`)
    }
    if (typeof text !== 'string') throw new Error(`the summary for ${tool} is no text`)
    return { result: 'tool', tool, args, summary: text }
  })
}
