import type { AgentMessage, AgentModel, ModelPart, ModelRequest } from '../agent/model'
import type { Clock } from '../sessions'
import { pauseOn } from './clock'

/** A tool call of a scripted answer. */
export interface ScriptedCall { name: string, args?: unknown }

/** A request the scripted model was given, without its signal. */
export type SeenRequest = Omit<ModelRequest, 'signal'>

/** One scripted answer as it is given: see {@link ScriptedAnswer}. */
export type FixedAnswer =
  | string
  | { text?: string | string[], tool?: ScriptedCall, tools?: ScriptedCall[], error?: string, delay?: number, firstDelay?: number }

/**
 * One scripted answer: a text, a tool call (`tool`), several side by side
 * (`tools`: function tools the state runs together), or an error, or text
 * before them. A text is streamed a word at a time, or in the pieces given;
 * `delay` ms pass before each piece and before the tool calls or error
 * (`firstDelay` before the first piece, default `delay`). The answer after a
 * function tool's call sees its result as the conversation's last message;
 * a function of the request answers by what it holds (a tool's result, or
 * its error: see {@link toolResults}).
 */
export type ScriptedAnswer = FixedAnswer | ((request: SeenRequest) => FixedAnswer)

/** A function tool's outcome as the model was given it: `ok` false for an error (a throw, a timeout, a result its schema refused). */
export interface ToolResult { name: string, args: unknown, ok: boolean, result: string }

/**
 * The outcomes of the last round of function tools a request carries, in
 * the order of the calls: none when the conversation does not end with one.
 *
 * @example
 * (request) => toolResults(request)[0]?.ok === true ? 'Seven is free.' : 'The calendar is down, sorry.'
 */
export function toolResults (request: SeenRequest): ToolResult[] {
  const { messages } = request
  const last = messages.at(-1)
  if (last?.role !== 'tool' || last.round === undefined) return []
  let first = messages.length - 1
  while (sameRound(messages[first - 1], last.round)) first--
  return (messages.slice(first) as Array<AgentMessage & { role: 'tool' }>).map(({ name, args, ok, result }) => ({ name, args, ok, result }))
}

export interface ScriptedModelOptions {
  /** The clock its delays run on: a `TestClock` to move them by hand. Default real time. */
  clock?: Clock
  name?: string
  /**
   * Answer each call from the start of the list, by its conversation: the
   * n-th request of a call gets the n-th answer, wherever it is asked (a
   * server's second call, a call that moved to another instance). Default
   * false: one list for the whole process, in the order of the requests.
   */
  perCall?: boolean
}

/**
 * Which request of its call this is, from 0, read from the conversation it
 * carries: each caller turn asks once (interrupted or not), and once more
 * after each tool call the state refused and each round of function
 * calls. After a handoff the count starts again at the agent the call was
 * handed to, whose first request (at once, before the caller speaks again)
 * is its 0th: each agent's scripted model has a list of its own. A
 * `history` that trims the conversation makes the count fall short.
 */
export function requestOfCall (messages: readonly AgentMessage[]): number {
  let handoff = messages.length - 1
  while (handoff >= 0 && !isHandoff(messages[handoff])) handoff--
  const since = messages.slice(handoff + 1)
  const callerTurns = since.filter((message) => message.role === 'caller').length
  const refused = since.filter((message) => message.role === 'tool' && !message.ok && message.round === undefined).length
  // Each round of function calls asks once more: its results are side by side, with the round's number.
  const rounds = since.filter((message, index) => message.role === 'tool' && message.round !== undefined && !sameRound(since[index - 1], message.round)).length
  // Without a handoff, the first request is the first caller turn's.
  return (handoff < 0 ? Math.max(0, callerTurns - 1) : callerTurns) + refused + rounds
}

const isHandoff = (message: AgentMessage): boolean => message.role === 'tool' && message.handoff !== undefined

const sameRound = (message: AgentMessage | undefined, round: number): boolean => message?.role === 'tool' && message.round === round

const realTime: Clock = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) }

/**
 * A language model for tests and demos: it answers each request with the
 * next answer of the list (with `perCall`, each call's n-th request with
 * the n-th answer), in pieces and with the delays given, and keeps what it
 * was asked (`requests`) and how many answers were cut off (`aborted`).
 * Asked once more than it has answers, it fails.
 *
 * @example
 * const model = scriptedModel([
 *   'Hello! For how many people?',
 *   { text: 'Let me book that.', tool: { name: 'book_table', args: { date: '2026-12-24', time: '19:00', people: 4 } } },
 *   (request) => toolResults(request)[0]?.ok === true ? 'Booked.' : 'Sorry, that did not work.',
 *   { error: 'the provider is down' }
 * ])
 */
export function scriptedModel (answers: readonly ScriptedAnswer[], options: ScriptedModelOptions = {}): AgentModel & { requests: SeenRequest[], aborted: number } {
  const clock = options.clock ?? realTime
  let next = 0
  const model = {
    name: options.name ?? 'scripted',
    requests: [] as SeenRequest[],
    aborted: 0,
    async * stream (request: ModelRequest): AsyncIterable<ModelPart> {
      const { signal, ...seen } = request
      // Kept as given: options may hold what cannot be cloned (a function), and the messages are never changed after.
      model.requests.push(seen)
      const scripted = answers[options.perCall === true ? requestOfCall(seen.messages) : next++]
      if (scripted === undefined) throw new Error(`the scripted model has only ${answers.length} answers${options.perCall === true ? ' for a call' : ''}`)
      const answer = typeof scripted === 'function' ? scripted(seen) : scripted
      const { text, tool, tools = [], error, delay = 0, firstDelay = delay } = typeof answer === 'string' ? { text: answer } : answer
      const calls = tool === undefined ? tools : [tool, ...tools]
      try {
        const words = text === undefined ? [] : Array.isArray(text) ? text : text.split(/(?<=\s)/)
        for (const [index, word] of words.entries()) {
          await pauseOn(clock, index === 0 ? firstDelay : delay, signal)
          yield { type: 'text', text: word }
        }
        if (calls.length > 0 || error !== undefined) await pauseOn(clock, words.length === 0 ? firstDelay : delay, signal)
        if (error !== undefined) throw new Error(error)
        for (const call of calls) yield { type: 'tool-call', name: call.name, args: call.args ?? {} }
      } catch (err) {
        if (signal.aborted) model.aborted++
        throw err
      }
    }
  }
  return model
}
