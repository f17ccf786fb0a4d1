import type { Static, TSchema, TUnknown } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fromPromise, type MachineContext } from 'xstate'
import { workKey } from '../flow/work-key'
import { messageOf } from '../error-message'
import type { AgentMessage } from './model'
import { agentTurnsOf, type ToolOutcome } from './turn-observer'
import { modelCallHook, type ToolCall, type ToolReply } from './model-calls'

/** What a function tool's `run` is given. */
export interface FunctionToolRun<P extends TSchema, C extends MachineContext = MachineContext> {
  /** The arguments the model called it with, checked against `parameters`. */
  args: Static<P>
  /** The flow's context when the model called it. */
  context: C
  /**
   * The same on every run of this call of the tool, on whichever instance
   * runs it: hand it to an outside service as an idempotency key, and a
   * booking is made once even when the instance that ran it dies and
   * another runs it again.
   */
  key: string
  /** Aborted on hang-up, on `close()`, at the tool's timeout, and on barge-in unless the tool is `mustFinish`. */
  signal: AbortSignal
}

/**
 * A tool the model calls to look something up or act, without leaving the
 * agent state: its result (or error) goes back to the model in the same
 * caller turn, and the model goes on.
 */
export interface FunctionTool<P extends TSchema = TSchema, R extends TSchema = TUnknown, C extends MachineContext = MachineContext> {
  /** What the tool does, for the model. */
  description: string
  /** Its arguments, as a TypeBox schema: a call that does not fit goes back to the model as an error, and does not run. */
  parameters: P
  /** Its result, as a TypeBox schema: a result that does not fit goes back to the model as an error. Default anything. */
  result?: R
  /** Runs the tool: what it returns (as JSON) or throws goes back to the model. */
  run: (run: FunctionToolRun<P, C>) => Promise<Static<R>> | Static<R>
  /** Seconds the tool has before it is aborted and the model told it took too long. Default 10. */
  timeout?: number
  /** Keep running when the caller barges in (a booking: "uh-huh" must not cancel it). Default false: barge-in aborts it. */
  mustFinish?: boolean
  /** A line said when the tool has run `after` ms and not finished (`Let me check the calendar.`). */
  slowLine?: { after: number, text: string }
  /**
   * What the flow's context keeps of a run that succeeded (the slot it
   * found): merged into the context as the round's results come back, in
   * the order of the calls. Never asked after an error or a timeout; a
   * replay asks it of the recorded result.
   */
  keep?: (kept: FunctionToolKeep<P, R, C>) => Partial<C>
}

/** What a function tool's `keep` is given. */
export interface FunctionToolKeep<P extends TSchema, R extends TSchema, C extends MachineContext = MachineContext> {
  /** The arguments the tool ran with. */
  args: Static<P>
  /** What it returned, as the model got it (read back from JSON). */
  result: Static<R>
  /** The flow's context, with what earlier calls of the round kept. */
  context: C
}

/** Any function tool, as the state runs it. */
export type AnyFunctionTool = FunctionTool<any, any, any>

/**
 * A function tool, with its arguments typed from `parameters` and its
 * result from `result`.
 *
 * @example
 * check_availability: functionTool({
 *   description: 'Whether a table is free',
 *   parameters: Type.Object({ date: Type.String(), time: Type.String(), people: Type.Integer() }),
 *   result: Type.Object({ free: Type.Boolean() }),
 *   run: async ({ args, signal }) => ({ free: await calendar.isFree(args, signal) })
 * })
 */
export function functionTool<P extends TSchema, R extends TSchema = TUnknown, C extends MachineContext = MachineContext> (tool: FunctionTool<P, R, C>): FunctionTool<P, R, C> {
  return tool
}

/**
 * A result as the model got it, read back: its JSON, or the text itself when
 * it is none or (with a result schema) when the JSON does not fit and the text does.
 */
export function resultOf (tool: AnyFunctionTool, text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return text
  }
  return tool.result !== undefined && !Value.Check(tool.result, value) ? text : value
}

/** A call of a function tool, as the model made it. */
export interface FunctionCall {
  name: string
  args: unknown
  /** Why it cannot run (its arguments do not fit): it goes back to the model as an error beside the others' results. */
  problem?: string
}

/** What the state hands the work that runs one round of function calls. */
export interface FunctionRoundInput {
  calls: FunctionCall[]
  context: MachineContext
  /** The round in the caller's turn, from 1: noted on each result. */
  round: number
}

/** The type of {@link SlowToolEvent}. */
export const SLOW_TOOL = 'agent.slowTool'

/** A function tool ran longer than its `slowLine.after`: the state says its line. */
export interface SlowToolEvent { type: typeof SLOW_TOOL, text: string }

/** Default seconds a function tool has. */
const DEFAULT_TOOL_TIMEOUT = 10

/** The result as the model is given it: text as it is, anything else as JSON. */
function asText (result: unknown): string {
  return typeof result === 'string' ? result : String(JSON.stringify(result ?? null))
}

/** What came of one call: `ok` only when `outcome` is. */
interface Ran { ok: boolean, result: string, outcome: ToolOutcome }

/** Runs one call: its result or error, never a throw; its own signal aborts at its timeout or with the round's. */
async function runOne (tool: AnyFunctionTool, call: FunctionCall, context: MachineContext, key: string, round: AbortSignal, emit: (event: SlowToolEvent) => void): Promise<Ran> {
  const controller = new AbortController()
  const stop = (): void => controller.abort(new Error('aborted'))
  round.addEventListener('abort', stop)
  const seconds = tool.timeout ?? DEFAULT_TOOL_TIMEOUT
  // A run that does not heed its signal is left behind: its timeout or the round's abort ends the call at once.
  const stopped = new Promise<never>((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)))
  const timer = setTimeout(() => controller.abort(new Error(`${call.name} took longer than ${seconds} s`)), seconds * 1000).unref()
  const slow = tool.slowLine === undefined ? undefined : setTimeout(emit, tool.slowLine.after, { type: SLOW_TOOL, text: tool.slowLine.text }).unref()
  let outcome: Ran
  try {
    const result = await Promise.race([tool.run({ args: call.args, context, key, signal: controller.signal }), stopped])
    outcome = { ok: true, result: asText(result), outcome: 'ok' }
    if (tool.result !== undefined && !Value.Check(tool.result, result)) {
      const problems = [...Value.Errors(tool.result, result)].map((error) => `${error.path === '' ? 'result' : error.path}: ${error.message}`)
      outcome = { ok: false, result: `${call.name} gave an invalid result: ${problems.join('; ')}`, outcome: 'error' }
    }
  } catch (err) {
    // The round's abort aborts the call's own signal too: it is asked first.
    outcome = { ok: false, result: messageOf(err), outcome: round.aborted ? 'aborted' : controller.signal.aborted ? 'timeout' : 'error' }
  }
  clearTimeout(timer)
  clearTimeout(slow)
  round.removeEventListener('abort', stop)
  return outcome
}

/** A call as the call's hook is given it. */
function hooked (tool: AnyFunctionTool, call: FunctionCall, key: string, emit: (event: SlowToolEvent) => void): ToolCall {
  const { slowLine } = tool
  return {
    name: call.name,
    args: call.args,
    key,
    parameters: tool.parameters,
    result: tool.result,
    slowLine: slowLine === undefined ? undefined : { after: slowLine.after, say: () => emit({ type: SLOW_TOOL, text: slowLine.text }) }
  }
}

/**
 * The promise work of one round of function calls: runs them side by side,
 * each with the key of this work and its place in the round, and ends with
 * one tool entry per call for the conversation (a failure, a timeout or an
 * invalid result as an error for the model). Aborted, it aborts every call.
 * The call's hook, if it has one, takes part in every run: a recording keeps
 * it, a replay answers in its place and runs nothing. A call whose
 * arguments do not fit never runs, and no hook hears of it.
 */
export function functionRound (tools: Readonly<Record<string, AnyFunctionTool>>) {
  return fromPromise<AgentMessage[], FunctionRoundInput, SlowToolEvent>(async ({ input, signal, self, emit, system }) => {
    // Outside the plugin (a bare actor) there is no engine to give a key: the actor's id stands in.
    const base = workKey(self) ?? self.id
    let lineSaid = false
    // One slow line per round, however many tools are slow.
    const slow = (event: SlowToolEvent): void => {
      if (lineSaid) return
      lineSaid = true
      emit(event)
    }
    const hook = modelCallHook(system)
    const turns = agentTurnsOf(system)
    const results = await Promise.all(input.calls.map(async (call, index): Promise<ToolReply> => {
      // A call whose arguments do not fit never runs: the conversation keeps it, the measures do not.
      if (call.problem !== undefined) return { ok: false, result: call.problem }
      const tool = tools[call.name]
      const key = input.calls.length === 1 ? base : `${base}:${index}`
      const run = async (): Promise<ToolReply> => {
        const ran = turns?.toolStarted(call.name, call.args, input.round)
        const result = await runOne(tool, call, input.context, key, signal, slow)
        ran?.(result.outcome, result.result)
        return { ok: result.ok, result: result.result }
      }
      return hook === undefined ? await run() : await hook.tool(hooked(tool, call, key, slow), run, signal)
    }))
    signal.throwIfAborted()
    return input.calls.map((call, index): AgentMessage => ({ role: 'tool', name: call.name, args: call.args, ok: results[index].ok, result: results[index].result, round: input.round }))
  })
}
