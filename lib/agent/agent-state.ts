import type { Static, TSchema } from '@sinclair/typebox'
import {
  assign, enqueueActions, type AnyStateNodeConfig, type DoneStateEvent, type EventObject,
  type MachineContext, type ParameterizedObject, type ProvidedActor
} from 'xstate'
import type { FlowAction, UserSpeakEvent } from '../protocol'
import { bargeIn, speak, type SpeakFlowAction, type SpeakOptions } from '../flow/action-creators'
import { REPLY_DEADLINE } from '../flow/reply-deadline'
import type { FlowEvent } from '../flow/setup-flow'
import { doneTransitions, type AnyNext } from '../flow/fragments/next'
import { fragmentMeta } from '../flow/fragments/exits'
import type { AnyFlowTypes, FlowFragment, FlowTypes, Next } from '../flow/fragments/fragment'
import { toSpeak, type AnySay, type Say } from '../flow/fragments/say'
import { checkAgentOptions } from './check'
import { messageOf } from '../error-message'
import { cutOff, heard, memoryOf, noted, played, said, stillPlaying, type AgentHistory, type AgentMemory } from './memory'
import type { AgentModel, ModelTool } from './model'
import { modelTurn, SENTENCE, type ModelTurnInput, type ModelTurnOutput, type SentenceEvent } from './model-turn'

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
}

export interface AgentOptions<TTools extends Record<string, TSchema>, F extends AnyFlowTypes = FlowTypes> {
  /** The fragment's state id, unique in the machine. */
  id: string
  model: AgentModel
  /** What the model is told to be and do here (its system prompt). */
  instructions: string | ((args: { context: F['context'] }) => string)
  /** The transitions the model may take, by tool name: it can do nothing else here. */
  tools: { [K in keyof TTools]: AgentTool<TTools[K], F> }
  /** Said when the state is entered, and kept in the conversation. Default none: the model speaks at the caller's first turn. */
  greeting?: Say<F>
  /** Said when a webhook reply must go before the model has said anything. Default `One moment, please.`; `false` for none. */
  filler?: string | false
  /** Said after a silence (`user_input_timeout`). Default `Are you still there?` */
  silence?: Say<F>
  /** How much of the conversation is kept: the last so many messages (default 40), or a function that trims it. */
  history?: AgentHistory
  /** Seconds the model has for one turn before the state takes `onError`. Default 20. */
  modelTimeout?: number
  /** Seconds of silence before the service sends `user_input_timeout`. Default 8. */
  timeout?: number
  /** Options for the model (temperature, …), passed as they are. */
  modelOptions?: Record<string, unknown>
  /** How each sentence is spoken (voice, barge-in), beside its text. */
  voice?: Omit<SpeakOptions, 'user_input_timeout_seconds'>
  /** Where to go when the model fails or takes too long: `event.output.error` says why. */
  onError: Next<DoneStateEvent<ModelFailed>, F>
}

/** The options as the state is built from them, with their types left behind. */
type AnyAgentOptions = AgentOptions<Record<string, TSchema>, AnyFlowTypes> & {
  tools: Record<string, { description: string, parameters: TSchema, then: AnyNext }>
  onError: AnyNext
  greeting?: AnySay
  silence?: AnySay
}

type Args = { context: MachineContext, event: EventObject }

/** What an `enqueueActions` of the agent gets: the flow's context and event, and what it may enqueue. */
type Enqueuing = Args & { enqueue: { emit: (action: FlowAction) => void, assign: (values: { agent: AgentMemory }) => void } }

const remember = (update: (memory: AgentMemory, args: Args) => AgentMemory) =>
  assign(({ context, event }: Args) => ({ agent: update(memoryOf(context), { context, event }) }))

function errorMessage (event: EventObject): string {
  const error = (event as { error?: unknown }).error
  return error === undefined ? 'the model took too long' : messageOf(error)
}

/** The actions of an agent state, made once for its options. */
function agentActions (options: AnyAgentOptions) {
  const { history = 40, timeout = 8, filler = 'One moment, please.', voice = {} } = options
  const spoken = (text: string, last: boolean): SpeakFlowAction => speak(text, last ? { ...voice, user_input_timeout_seconds: timeout } : voice)
  // Says a prompt of the author's, and keeps it in the conversation when it is text.
  const sayAndRemember = (say: AnySay) => enqueueActions(({ context, event, enqueue }: Enqueuing) => {
    const action = toSpeak(typeof say === 'function' ? say({ context, event } as never) : say, timeout)
    enqueue.emit(action)
    const { text } = action as { text?: string }
    if (text !== undefined) enqueue.assign({ agent: said(memoryOf(context), text, history) })
  })
  // The model's turn ended: its last sentence is said (asking for a timeout when the call stays here), refusals and the tool taken noted.
  const finish = (last: boolean) => enqueueActions(({ context, event, enqueue }: Enqueuing) => {
    const output = (event as DoneStateEvent<ModelTurnOutput>).output
    let memory = memoryOf(context)
    // The answer is whole before the tool calls are noted: tool entries come after their text.
    if (output.last !== undefined) {
      enqueue.emit(spoken(output.last, last))
      memory = said(memory, output.last, history)
    }
    memory = noted(memory, output.refused, history)
    if (output.result === 'tool') memory = noted(memory, [{ role: 'tool', name: output.tool, args: output.args, ok: true, result: 'taken' }], history)
    enqueue.assign({ agent: memory })
  })
  return {
    greet: options.greeting === undefined ? undefined : sayAndRemember(options.greeting),
    askAgain: sayAndRemember(options.silence ?? 'Are you still there?'),
    finishWithTool: finish(false),
    finishWithAnswer: finish(true),
    callerTurn: remember((memory, { event }) => heard(memory, (event as UserSpeakEvent).text, (event as UserSpeakEvent).barged_in === true, history)),
    interrupted: enqueueActions(({ context, enqueue }: Enqueuing) => {
      enqueue.emit(bargeIn())
      enqueue.assign({ agent: cutOff(memoryOf(context)) })
    }),
    sentence: enqueueActions(({ context, event, enqueue }: Enqueuing) => {
      const { text } = event as SentenceEvent
      enqueue.emit(spoken(text, false))
      enqueue.assign({ agent: said(memoryOf(context), text, history) })
    }),
    // Nothing said yet this turn, and the reply must go: the filler keeps the caller company.
    filler: filler === false ? {} : { guard: ({ context }: Args) => memoryOf(context).speaking === undefined, actions: enqueueActions(({ enqueue }: Enqueuing) => enqueue.emit(speak(filler, voice))) }
  }
}

const isPlaying = ({ context }: Args): boolean => stillPlaying(memoryOf(context))
const calledTool = ({ event }: Args): boolean => (event as DoneStateEvent<ModelTurnOutput>).output.result === 'tool'

/** The state config of an agent: see {@link agent}. */
function agentState (options: AnyAgentOptions): AnyStateNodeConfig {
  const { id, model, tools, modelTimeout = 20, instructions } = options
  const modelTools: ModelTool[] = Object.entries(tools).map(([name, tool]) => ({ name, description: tool.description, parameters: tool.parameters }))
  const act = agentActions(options)
  return {
    id,
    meta: { ...fragmentMeta('agent'), tools: Object.keys(tools) },
    entry: act.greet,
    initial: 'listening',
    on: { assistant_speech_ended: { actions: remember(played) } },
    states: {
      listening: {
        on: {
          user_speak: { target: 'thinking', actions: act.callerTurn },
          user_speech_started: { guard: isPlaying, actions: act.interrupted },
          user_input_timeout: { actions: act.askAgain }
        }
      },
      thinking: {
        invoke: {
          id: `${id}.model`,
          src: modelTurn(model, modelTools),
          input: ({ context }: Args): ModelTurnInput => ({
            instructions: typeof instructions === 'function' ? instructions({ context }) : instructions,
            messages: memoryOf(context).messages,
            options: options.modelOptions
          }),
          onDone: [{ guard: calledTool, target: 'called', actions: act.finishWithTool }, { target: 'listening', actions: act.finishWithAnswer }],
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
      called: {
        type: 'final',
        output: ({ event }: Args): ToolCalled => {
          const output = (event as DoneStateEvent<ModelTurnOutput & { result: 'tool' }>).output
          return { result: 'tool', tool: output.tool, args: output.args }
        }
      },
      failed: { type: 'final', output: ({ event }: Args): ModelFailed => ({ result: 'error', error: errorMessage(event) }) }
    },
    onDone: [
      ...Object.entries(tools).flatMap(([name, tool]) => doneTransitions(tool.then, { type: 'tool', params: { name } })),
      ...doneTransitions(options.onError, { type: 'modelFailed' })
    ]
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
 * model as an error. The caller interrupting stops the model, and the
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
> (options: AgentOptions<TTools, FlowTypes<TContext, TEvent, NoInfer<TActor>, NoInfer<TAction>, NoInfer<TGuard>, NoInfer<TDelay>>>): FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay> {
  checkAgentOptions(options)
  return agentState(options as unknown as AnyAgentOptions) as FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay>
}
