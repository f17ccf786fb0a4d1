import { assign, enqueueActions, type DoneActorEvent, type DoneStateEvent, type EventObject, type MachineContext } from 'xstate'
import type { FlowAction, UserSpeakEvent } from '../protocol'
import { bargeIn, speak, type SpeakFlowAction, type SpeakOptions } from '../flow/action-creators'
import { toSpeak, type AnySay } from '../flow/fragments/say'
import { cutOff, DEFAULT_HISTORY, heard, memoryOf, noted, said, type AgentMemory } from './memory'
import type { ModelTurnOutput, SentenceEvent } from './model-turn'
import type { AgentMessage } from './model'
import { resultOf } from './function-tools'
import type { AnyAgentOptions } from './agent-state'
import { handedOver, handoffOf, since, type SummaryOutput } from './handoff'
import { agentTurnsOf, type AgentTurnEnd } from './turn-observer'

/** Characters of a caller turn the model gets unless told otherwise: a long monologue, far below a webhook's body limit. */
const DEFAULT_TURN_LIMIT = 2000

/** Said after a silence unless the state says otherwise. */
const DEFAULT_SILENCE = 'Are you still there?'

export type Args = { context: MachineContext, event: EventObject }

/** The turn measured (when the call measures its turns) ends so. */
const turnEnds = (end: AgentTurnEnd) => ({ system }: { system: unknown }): void => { agentTurnsOf(system)?.turnEnded(end) }
const answered = turnEnds('answer')
const turnFailed = turnEnds('error')
const cutShort = turnEnds('interrupted')
/** A step that called function tools goes on; one that took a transition ends the turn. */
const tookTransition = ({ event, system }: { event: EventObject, system: unknown }): void => {
  if ((event as DoneStateEvent<ModelTurnOutput>).output.result === 'tool') agentTurnsOf(system)?.turnEnded('transition')
}

/** What an `enqueueActions` of the agent gets: the flow's context and event, and what it may enqueue. */
type Enqueuing = Args & { enqueue: { emit: (action: FlowAction) => void, assign: (values: { agent: AgentMemory }) => void } }

export const remember = (update: (memory: AgentMemory, args: Args) => AgentMemory) =>
  assign(({ context, event }: Args) => ({ agent: update(memoryOf(context), { context, event }) }))

/** The silence lines of a state: one per silence when it gives up (`onNoInput`), else its one line, again and again. */
export function silenceLines (options: AnyAgentOptions): AnySay[] {
  const silence = options.silence ?? DEFAULT_SILENCE
  return options.onNoInput === undefined ? [silence] : options.noInput ?? [silence]
}

/** The silences since the caller's last turn: as many as there are lines once the state must give up. */
export const silences = ({ context }: Args): number => memoryOf(context).silences ?? 0

/** The actions of an agent state, made once for its options. */
export function agentActions (options: AnyAgentOptions) {
  const { history = DEFAULT_HISTORY, turnLimit = DEFAULT_TURN_LIMIT, timeout = 8, filler = 'One moment, please.', voice = {} } = options
  const lines = silenceLines(options)
  const handoffs = Object.fromEntries(Object.entries(options.tools).flatMap(([name, tool]) => tool.handoff === undefined ? [] : [[name, handoffOf(tool.handoff)]]))
  const counting = options.onNoInput !== undefined
  const functions = options.functions ?? {}
  // Every line the state says goes in its voice (tts, barge_in); an author's own speak action keeps what it sets.
  const voiced = (action: SpeakFlowAction): SpeakFlowAction => ({ ...voice, ...action } as SpeakFlowAction)
  const spoken = (text: string, last: boolean): SpeakFlowAction => speak(text, last ? { ...voice, user_input_timeout_seconds: timeout } : voice as SpeakOptions)
  // Says a prompt of the author's, and keeps it in the conversation when it is text.
  const sayAndRemember = (pick: (args: Args) => AnySay, after: (memory: AgentMemory, args: Args) => AgentMemory = (memory) => memory) =>
    enqueueActions(({ context, event, enqueue }: Enqueuing) => {
      const say = pick({ context, event })
      const action = voiced(toSpeak(typeof say === 'function' ? say({ context, event } as never) : say, timeout))
      enqueue.emit(action)
      const { text } = action as { text?: string }
      const memory = memoryOf(context)
      enqueue.assign({ agent: after(text === undefined ? memory : said(memory, text, history), { context, event }) })
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
    if (output.result === 'tool') {
      const handoff = handoffs[output.tool]
      // A handoff with a summary notes the call as taken until the summary is made.
      memory = handoff === undefined || typeof handoff.conversation === 'function'
        ? noted(memory, [{ role: 'tool', name: output.tool, args: output.args, ok: true, result: 'taken' }], history)
        : handedOver(memory, handoff, { from: options.id, tool: output.tool, args: output.args, context })
    }
    if (output.result === 'functions') memory = { ...memory, rounds: (memory.rounds ?? 0) + 1, calls: output.calls }
    enqueue.assign({ agent: memory })
  })
  const greeting = options.greeting
  const stopSpeaking = enqueueActions(({ context, enqueue }: Enqueuing) => {
    enqueue.emit(bargeIn())
    enqueue.assign({ agent: cutOff(memoryOf(context)) })
  })
  const turnStarts = ({ system }: { system: unknown }): void => { agentTurnsOf(system)?.turnStarted(options.id) }
  return {
    greet: greeting === undefined ? undefined : sayAndRemember(() => greeting),
    // Silences are counted from the state's entry: an earlier visit's do not count.
    startCounting: counting ? remember(({ silences: _, ...memory }) => memory) : undefined,
    askAgain: sayAndRemember(
      (args) => lines[Math.min(silences(args), lines.length - 1)],
      (memory, args) => counting ? { ...memory, silences: silences(args) + 1 } : memory
    ),
    // A transition taken, or function calls made (they run, and the model is asked again with their results): what it said before is said at once.
    finishWithTool: [finish(false), tookTransition],
    // The summary of a handoff is made: it and the note stand for the conversation, and what was said meanwhile follows.
    summarised: remember((memory, { context, event }) => {
      const { tool, args, summary } = (event as DoneActorEvent<SummaryOutput>).output
      return handedOver({ ...memory, messages: since(memory.messages, tool) }, handoffs[tool], { from: options.id, tool, args, context }, summary)
    }),
    // The agent state the call was handed to asks its model at once: it answers the caller's turn that led to the handoff.
    // Measured as a turn of its own, from the handover.
    takeOver: [remember(({ handover: _, ...memory }) => memory), turnStarts],
    toolResults: [
      remember(({ calls: _, ...memory }, { event }) => noted(memory, (event as DoneActorEvent<AgentMessage[]>).output, history)),
      // What each run that succeeded keeps goes into the context, call after call: a replay keeps the same from its recording.
      assign(({ context, event }: Args) => {
        let kept: MachineContext = {}
        for (const message of (event as DoneActorEvent<AgentMessage[]>).output) {
          const tool = message.role === 'tool' && message.ok ? functions[message.name] : undefined
          if (tool?.keep === undefined) continue
          const { args, result } = message as AgentMessage & { role: 'tool' }
          kept = { ...kept, ...tool.keep({ args, result: resultOf(tool, result), context: { ...context, ...kept } }) }
        }
        return kept
      })
    ],
    // A caller's turn while a tool that must finish runs: heard, and the tool goes on.
    callerTurnWhileWorking: remember((memory, { event }) => ({
      ...heard(memory, (event as UserSpeakEvent).text, (event as UserSpeakEvent).barged_in === true, history, turnLimit),
      calls: memory.calls
    })),
    finishWithAnswer: [finish(true), answered],
    callerTurn: [remember((memory, { event }) => heard(memory, (event as UserSpeakEvent).text, (event as UserSpeakEvent).barged_in === true, history, turnLimit)), turnStarts],
    interrupted: [stopSpeaking, cutShort],
    // The caller cut the answer off while a tool that must finish runs: the turn goes on.
    interruptedWhileWorking: stopSpeaking,
    turnFailed,
    sentence: enqueueActions(({ context, event, enqueue }: Enqueuing) => {
      const { text } = event as SentenceEvent
      enqueue.emit(spoken(text, false))
      enqueue.assign({ agent: said(memoryOf(context), text, history) })
    }),
    // Nothing said yet this turn, and the reply must go: the filler keeps the caller company.
    filler: filler === false ? {} : { guard: ({ context }: Args) => memoryOf(context).speaking === undefined, actions: enqueueActions(({ enqueue }: Enqueuing) => enqueue.emit(speak(filler, voice as SpeakOptions))) }
  }
}
