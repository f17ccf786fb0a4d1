import type { Static, TSchema } from '@sinclair/typebox'
import {
  type AnyStateNodeConfig, type DoneStateEvent, type EventObject,
  type MachineContext, type ParameterizedObject, type ProvidedActor
} from 'xstate'
import type { UserSpeakEvent } from '../protocol'
import type { SpeakOptions } from '../flow/action-creators'
import { REPLY_DEADLINE } from '../flow/reply-deadline'
import type { FlowEvent } from '../flow/setup-flow'
import { doneTransitions, type AnyNext } from '../flow/fragments/next'
import { fragmentMeta } from '../flow/fragments/exits'
import type { AnyFlowTypes, FlowFragment, FlowTypes, FragmentLeaf, Next } from '../flow/fragments/fragment'
import type { AnySay, Say } from '../flow/fragments/say'
import { checkAgentOptions } from './check'
import { messageOf } from '../error-message'
import { memoryOf, played, stillPlaying, type AgentHistory } from './memory'
import { agentActions, remember, silenceLines, silences, type Args } from './agent-actions'
import type { AgentModel, ModelTool } from './model'
import { modelTurn, SENTENCE, type ModelTurnInput, type ModelTurnOutput } from './model-turn'
import { functionRound, SLOW_TOOL, type AnyFunctionTool, type FunctionCall, type FunctionRoundInput } from './function-tools'
import { handoffOf, summary, type AnyHandoff, type Handoff, type HandoffSummaryArgs, type SummaryInput } from './handoff'

/** The agent's output when its model called a tool: `event.output` in that tool's `then`. */
export interface ToolCalled<A = unknown> { result: 'tool', tool: string, args: A }

/** The agent's output when its model failed or took too long: `event.output` in `onError`. */
export interface ModelFailed { result: 'error', error: string }

/** One transition the agent state offers its model, as a tool. */
export interface AgentTool<P extends TSchema, F extends AnyFlowTypes = FlowTypes> {
  /** What the tool does, for the model. */
  description: string
  /** Its arguments, as a TypeBox schema (`Type.Object({})` for none): a call that does not fit goes back to the model. */
  parameters: P
  /** Where the call goes when the model calls it: `event.output.args` holds the arguments, typed. */
  then: Next<DoneStateEvent<ToolCalled<Static<P>>>, F>
  /**
   * The tool hands the call over to the agent state it leads into: the
   * conversation goes with it (whole, its last messages, or a summary),
   * and that agent's model is given a note that it was handed the call and
   * answers at once, in the same caller turn. `true` for the defaults.
   */
  handoff?: true | Handoff<Static<P>, F['context']>
}

export interface AgentOptions<TTools extends Record<string, TSchema>, F extends AnyFlowTypes = FlowTypes> {
  /** The fragment's state id, unique in the machine. */
  id: string
  model: AgentModel
  /** What the model is told to be and do here (its system prompt). */
  instructions: string | ((args: { context: F['context'] }) => string)
  /** The transitions the model may take, by tool name: it can do nothing else here. */
  tools: { [K in keyof TTools]: AgentTool<TTools[K], F> }
  /**
   * Tools the model calls to look something up or act without leaving the
   * state, by tool name (each made with `functionTool`): their results go
   * back to the model in the same caller turn. Default none.
   */
  functions?: Record<string, AnyFunctionTool>
  /** Rounds of function calls the model may make in one caller turn; one more takes `onError`. Default 5. */
  toolRounds?: number
  /** Said when the state is entered, and kept in the conversation. Default none: the model speaks at the caller's first turn. */
  greeting?: Say<F>
  /** Said when a webhook reply must go before the model has said anything. Default `One moment, please.`; `false` for none. */
  filler?: string | false
  /** Said after a silence (`user_input_timeout`). Default `Are you still there?` */
  silence?: Say<F>
  /**
   * With `onNoInput`: said after each silence since the caller last spoke,
   * one per silence; one more silence ends the state with `onNoInput`, as
   * a prompt's do. Default `[silence]`: asks once, then gives up.
   */
  noInput?: Array<Say<F>>
  /** Where to go when the caller stayed silent once more than there are `noInput` lines. Default none: the state says its `silence` line after every silence. */
  onNoInput?: Next<DoneStateEvent<{ result: 'no-input' }>, F>
  /**
   * How much of the conversation is kept and sent: the last so many
   * messages, `{ messages, characters }` (default `{ messages: 40, characters: 20000 }`;
   * a number bounds the messages, the characters keep their default), or a
   * function that trims it.
   */
  history?: AgentHistory
  /** Characters of one caller turn the model gets (default 2000): a longer turn is cut, and marked `cut`. */
  turnLimit?: number
  /** Seconds the model has for one turn before the state takes `onError`. Default 20. */
  modelTimeout?: number
  /** Seconds of silence before the service sends `user_input_timeout`. Default 8. */
  timeout?: number
  /** Options for the model (temperature, …), passed as they are. */
  modelOptions?: Record<string, unknown>
  /** How every line the state says is spoken (voice, barge-in): the model's sentences, the greeting, the silence lines and the filler. */
  voice?: Omit<SpeakOptions, 'user_input_timeout_seconds'>
  /** Where to go when the model fails or takes too long: `event.output.error` says why. */
  onError: Next<DoneStateEvent<ModelFailed>, F>
}

/** The options as the state is built from them, with their types left behind. */
export type AnyAgentOptions = AgentOptions<Record<string, TSchema>, AnyFlowTypes> & {
  tools: Record<string, { description: string, parameters: TSchema, then: AnyNext, handoff?: AnyHandoff }>
  onError: AnyNext
  onNoInput?: AnyNext
  greeting?: AnySay
  silence?: AnySay
  noInput?: AnySay[]
}

function errorMessage (event: EventObject, rounds: number): string {
  if (event.type.endsWith('.handingOff')) return 'the summary for the handoff took too long'
  if ((event as Partial<DoneStateEvent<ModelTurnOutput>>).output?.result === 'functions') return `the model called tools in more than ${rounds} rounds in one turn`
  const error = (event as { error?: unknown }).error
  return error === undefined ? 'the model took too long' : messageOf(error)
}

const isPlaying = ({ context }: Args): boolean => stillPlaying(memoryOf(context))
const calledTool = ({ event }: Args): boolean => (event as DoneStateEvent<ModelTurnOutput>).output.result === 'tool'
const calledFunctions = ({ event }: Args): boolean => (event as DoneStateEvent<ModelTurnOutput>).output.result === 'functions'

/** The state where the function calls of one model step run, side by side; their results go back to the model. */
function workingState (id: string, functions: Record<string, AnyFunctionTool>, act: ReturnType<typeof agentActions>): AnyStateNodeConfig {
  // Barge-in stops the calls running unless one of them must finish.
  const mustFinish = ({ context }: Args): boolean => memoryOf(context).calls?.some((call) => functions[call.name].mustFinish === true) === true
  return {
    invoke: {
      id: `${id}.tools`,
      src: functionRound(functions),
      input: ({ context }: Args): FunctionRoundInput => {
        const memory = memoryOf(context)
        // The step that led here set both.
        return { calls: memory.calls as FunctionCall[], context, round: memory.rounds as number }
      },
      onDone: { target: 'thinking', actions: act.toolResults },
      onError: 'failed'
    },
    on: {
      [SLOW_TOOL]: { actions: act.sentence },
      [REPLY_DEADLINE]: act.filler,
      user_speak: [
        { guard: mustFinish, actions: act.callerTurnWhileWorking },
        { target: 'thinking', actions: act.callerTurn }
      ],
      user_speech_started: [
        { guard: (args: Args) => mustFinish(args) && isPlaying(args), actions: act.interruptedWhileWorking },
        { guard: mustFinish },
        { target: 'listening', actions: act.interrupted }
      ],
      user_input_timeout: {}
    }
  }
}

/** The state where the summary of a handoff is made, before the call leaves for the agent state it is handed to. */
function handingOffState (id: string, summaries: Parameters<typeof summary>[0], modelTimeout: number, act: ReturnType<typeof agentActions>): AnyStateNodeConfig {
  return {
    invoke: {
      id: `${id}.handoff`,
      src: summary(summaries),
      input: ({ context, event }: Args): SummaryInput => {
        const { tool, args } = (event as DoneStateEvent<ModelTurnOutput & { result: 'tool' }>).output
        // The handoff's own call, noted last as the state was entered, is not part of what is summarised.
        return { args: { from: id, tool, args, context }, messages: memoryOf(context).messages.slice(0, -1) }
      },
      onDone: { target: 'called', actions: act.summarised },
      onError: 'failed'
    },
    after: { [modelTimeout * 1000]: 'failed' },
    on: {
      [REPLY_DEADLINE]: act.filler,
      user_speak: { actions: act.callerTurn },
      user_speech_started: { guard: isPlaying, actions: act.interrupted },
      user_input_timeout: {}
    }
  }
}

/** The state config of an agent: see {@link agent}. */
function agentState (options: AnyAgentOptions): AnyStateNodeConfig {
  const { id, model, tools, functions = {}, toolRounds = 5, modelTimeout = 20, instructions } = options
  const handoffs = Object.keys(tools).filter((name) => tools[name].handoff !== undefined)
  const modelTools: ModelTool[] = Object.entries({ ...tools, ...functions }).map(([name, tool]) => ({ name, description: tool.description, parameters: tool.parameters }))
  // Barge-in stops the calls running unless one of them must finish.
  const hasFunctions = Object.keys(functions).length > 0
  const act = agentActions(options)
  const lines = silenceLines(options)
  const summaries = Object.fromEntries(Object.entries(tools).flatMap(([name, tool]) => {
    const conversation = tool.handoff === undefined ? undefined : handoffOf(tool.handoff).conversation
    return typeof conversation === 'function' ? [[name, conversation as (args: HandoffSummaryArgs) => string | Promise<string>]] : []
  }))
  const summarising = Object.keys(summaries).length > 0
  const calledSummary = (args: Args): boolean => calledTool(args) && Object.hasOwn(summaries, (args.event as DoneStateEvent<{ tool: string }>).output.tool)
  return {
    id,
    meta: {
      ...fragmentMeta('agent'),
      tools: Object.keys(tools),
      ...(Object.keys(functions).length === 0 ? {} : { functions: Object.keys(functions) }),
      ...(handoffs.length === 0 ? {} : { handoffs })
    },
    entry: [act.startCounting, act.greet].filter((action) => action !== undefined),
    initial: 'listening',
    on: { assistant_speech_ended: { actions: remember(played) } },
    states: {
      listening: {
        // Handed the call over, the state answers the caller's turn that led here at once.
        always: { guard: ({ context }: Args) => memoryOf(context).handover !== undefined, target: 'thinking', actions: act.takeOver },
        on: {
          user_speak: { target: 'thinking', actions: act.callerTurn },
          user_speech_started: { guard: isPlaying, actions: act.interrupted },
          user_input_timeout: [
            ...(options.onNoInput === undefined ? [] : [{ guard: (args: Args) => silences(args) >= lines.length, target: 'noInput' }]),
            { actions: act.askAgain }
          ]
        }
      },
      thinking: {
        invoke: {
          id: `${id}.model`,
          src: modelTurn(model, modelTools, new Set(Object.keys(functions))),
          input: ({ context, event }: Args): ModelTurnInput => ({
            instructions: typeof instructions === 'function' ? instructions({ context }) : instructions,
            messages: memoryOf(context).messages,
            options: options.modelOptions,
            session: (event as Partial<UserSpeakEvent>).session
          }),
          onDone: [
            ...(summarising ? [{ guard: calledSummary, target: 'handingOff', actions: act.finishWithTool }] : []),
            { guard: calledTool, target: 'called', actions: act.finishWithTool },
            // Only a state with function tools has a way there: `check` finds an unreachable state.
            ...(hasFunctions
              ? [
                  { guard: (args: Args) => calledFunctions(args) && (memoryOf(args.context).rounds ?? 0) >= toolRounds, target: 'failed' },
                  { guard: calledFunctions, target: 'working', actions: act.finishWithTool }
                ]
              : []),
            { target: 'listening', actions: act.finishWithAnswer }
          ],
          onError: 'failed'
        },
        after: { [modelTimeout * 1000]: 'failed' },
        on: {
          [SENTENCE]: { actions: act.sentence },
          [REPLY_DEADLINE]: act.filler,
          // A new turn of the caller's (barged in or not) asks again, with what they heard of the answer.
          user_speak: { target: 'thinking', reenter: true, actions: act.callerTurn },
          user_speech_started: { target: 'listening', actions: act.interrupted },
          user_input_timeout: {}
        }
      },
      // The function calls of one model step run, side by side; their results go back to the model.
      ...(hasFunctions ? { working: workingState(id, functions, act) } : {}),
      // A handoff's summary is made; the caller may speak meanwhile, and what they say follows it.
      ...(summarising ? { handingOff: handingOffState(id, summaries, modelTimeout, act) } : {}),
      called: {
        type: 'final',
        output: ({ event }: Args): ToolCalled => {
          const output = (event as DoneStateEvent<ModelTurnOutput & { result: 'tool' }>).output
          return { result: 'tool', tool: output.tool, args: output.args }
        }
      },
      failed: { type: 'final', entry: act.turnFailed, output: ({ event }: Args): ModelFailed => ({ result: 'error', error: errorMessage(event, toolRounds) }) },
      // Only a state that gives up on silence has a way there: `check` finds an unreachable state.
      ...(options.onNoInput === undefined ? {} : { noInput: { type: 'final', output: { result: 'no-input' } } })
    },
    onDone: [
      ...Object.entries(tools).flatMap(([name, tool]) => doneTransitions(tool.then, { type: 'tool', params: tool.handoff === undefined ? { name } : { name, handoff: true } })),
      ...doneTransitions(options.onError, { type: 'modelFailed' }),
      ...(options.onNoInput === undefined ? [] : doneTransitions(options.onNoInput, { type: 'noInput', params: { after: lines.length + 1 } }))
    ]
  }
}

/**
 * The states inside an agent state, as the state-value type sees them:
 * `{ booking: 'listening' }` while it waits for the caller, `thinking` while
 * the model answers, `working` while its function tools run, `handingOff`
 * while a handoff's summary is made, and `called`,
 * `failed` or `noInput` as it ends.
 */
export interface AgentInside {
  states: {
    listening: FragmentLeaf
    thinking: FragmentLeaf
    working: FragmentLeaf
    handingOff: FragmentLeaf
    called: FragmentLeaf
    failed: FragmentLeaf
    noInput: FragmentLeaf
  }
}

/**
 * A state where a language model talks with the caller: each caller turn
 * goes to `model` with the conversation so far and this state's
 * `instructions`; each complete sentence of its answer is spoken as soon as
 * it comes (over the WebSocket, before the answer is complete). The model's
 * tools are the transitions this state offers (`tools`, each with a TypeBox
 * schema): a tool call leaves the state through that tool's `then`, and a
 * call of anything else, or with arguments that do not fit, goes back to the
 * model as an error. A tool with `handoff` hands the call over to the
 * agent state it leads into, with the conversation and a note for its
 * model, which answers at once. The caller interrupting stops the model, and the
 * conversation keeps only what they heard. The conversation lives in the
 * call's context (`context.agent`), so it is stored and restored with it.
 *
 * @example
 * host: agent({
 *   id: 'host',
 *   model,
 *   instructions: 'You take table bookings for Luigi\'s.',
 *   tools: {
 *     book_table: {
 *       description: 'Book a table',
 *       parameters: Type.Object({ date: Type.String(), time: Type.String(), people: Type.Integer({ minimum: 1 }) }),
 *       then: { target: 'confirm', actions: assign({ booking: ({ event }) => event.output.args }) }
 *     }
 *   },
 *   onError: 'apologise'
 * })
 */
export function agent<
  TTools extends Record<string, TSchema>,
  TContext extends MachineContext = never,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never
> (options: AgentOptions<TTools, FlowTypes<TContext, TEvent, NoInfer<TActor>, NoInfer<TAction>, NoInfer<TGuard>, NoInfer<TDelay>>>): FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, AgentInside> {
  checkAgentOptions(options)
  return agentState(options as unknown as AnyAgentOptions) as FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, AgentInside>
}
