import type {
  AnyStateNodeConfig, AnyTransitionConfig, DoneStateEvent, EventObject, MachineContext, ParameterizedObject, ProvidedActor
} from 'xstate'
import type { DtmfReceivedEvent, UserSpeakEvent } from '../../protocol'
import type { FlowEvent } from '../setup-flow'
import { doneTransitions, type AnyNext } from './next'
import { fragmentMeta, type FragmentKind } from './exits'
import type { AnyFlowTypes, FlowFragment, FlowTypes, FragmentLeaf, Next } from './fragment'
import { sayAction, type AnySay, type Say } from './say'
import { checkPromptOptions } from './check'

/** What the caller answered: one speech turn or one key. */
export type Reply = UserSpeakEvent | DtmfReceivedEvent

/** The prompt's output when the reply matched: `event.output` in `onMatch`. */
export interface Answered<T> { result: 'match', value: T }

/** The fragment's output (`event.output` in its transitions). */
export type PromptOutput<T> = Answered<T> | { result: 'no-input' } | { result: 'no-match' }

export interface PromptOptions<T, F extends AnyFlowTypes = FlowTypes> {
  /** The fragment's state id, unique in the machine: `#id` in targets and diagrams. */
  id: string
  /** Said when the fragment is entered. */
  say: Say<F>
  /**
   * Reads a reply: returns what to keep, or `undefined` when the reply does
   * not answer the question (any other value, `false` included, is a match).
   * Called more than once per reply: keep it pure.
   */
  match: (reply: Reply) => T | undefined
  /** Said after silence, one per attempt. One more silence ends the fragment. Default none. */
  noInput?: Array<Say<F>>
  /** Said after a reply that does not match, one per attempt. One more ends the fragment. Default none. */
  noMatch?: Array<Say<F>>
  /** Seconds of silence before the service sends `user_input_timeout`. Default 8. */
  timeout?: number
  /** Where to go with a match; `event.output.value` holds it. */
  onMatch: Next<DoneStateEvent<Answered<NoInfer<T>>>, F>
  /** Where to go when the caller stayed silent once more than there are `noInput` reprompts. */
  onNoInput: Next<DoneStateEvent<{ result: 'no-input' }>, F>
  /** Where to go when the caller missed once more than there are `noMatch` reprompts. */
  onNoMatch: Next<DoneStateEvent<{ result: 'no-match' }>, F>
}

/** A prompt's options as the menu and the prompt build it, with its types left behind. */
export interface PromptParts {
  kind: FragmentKind
  id: string
  say: AnySay
  match: (reply: Reply) => unknown
  noInput?: AnySay[]
  noMatch?: AnySay[]
  timeout?: number
  /** The `onDone` transitions of a match, guarded already. */
  answered: AnyTransitionConfig[]
  onNoInput: AnyNext
  onNoMatch: AnyNext
}

/**
 * One counter of failed attempts as a chain of states (`none`, `reprompt1`,
 * …): each failure says the next reprompt; one more failure than there are
 * reprompts ends the fragment at `#id.exhausted`.
 */
function counter (reprompts: AnySay[], on: (next: string) => Record<string, AnyTransitionConfig>, exhausted: string, timeout: number): AnyStateNodeConfig {
  const names = ['none', ...reprompts.map((_, i) => `reprompt${i + 1}`)]
  const states: Record<string, AnyStateNodeConfig> = {}
  names.forEach((name, i) => {
    states[name] = {
      entry: i === 0 ? undefined : sayAction(reprompts[i - 1], timeout),
      on: on(names[i + 1] ?? exhausted)
    }
  })
  return { initial: 'none', states }
}

/** One region of a prompt's listening state: `none` before any failure, then `reprompt1`, `reprompt2`, … */
interface RepromptCounter {
  states: Record<'none' | `reprompt${number}`, FragmentLeaf>
}

/**
 * The states inside a prompt or menu, as the state-value type sees them:
 * `{ ask: { listening: { noInput: 'reprompt1', noMatch: 'none' } } }` while it
 * listens, `{ ask: 'matched' }` (or `noInput`, `noMatch`) as it ends.
 */
export interface PromptInside {
  states: {
    listening: { type: 'parallel', states: { noInput: RepromptCounter, noMatch: RepromptCounter } }
    matched: FragmentLeaf
    noInput: FragmentLeaf
    noMatch: FragmentLeaf
  }
}

/** The state config of a prompt: see {@link prompt}. */
export function promptState (parts: PromptParts): AnyStateNodeConfig {
  const { id, say, match, noInput = [], noMatch = [], timeout = 8 } = parts
  const matched = ({ event }: { event: Reply }): boolean => match(event) !== undefined
  const missed = ({ event }: { event: Reply }): boolean => match(event) === undefined
  const reply = (next: string): Record<string, AnyTransitionConfig> =>
    ({ user_speak: { guard: missed, target: next }, dtmf_received: { guard: missed, target: next } })
  // What one region handles must not reach the flow's own handlers through the other region.
  const absorb: AnyTransitionConfig = {}
  return {
    id,
    meta: fragmentMeta(parts.kind),
    initial: 'listening',
    states: {
      listening: {
        type: 'parallel',
        entry: sayAction(say, timeout),
        states: {
          noInput: counter(noInput, (next) => ({ user_input_timeout: { target: next } }), `#${id}.noInput`, timeout),
          noMatch: counter(noMatch, reply, `#${id}.noMatch`, timeout)
        },
        on: {
          user_speak: [{ guard: matched, target: 'matched' }, absorb],
          dtmf_received: [{ guard: matched, target: 'matched' }, absorb],
          user_input_timeout: absorb
        }
      },
      matched: { type: 'final', output: ({ event }: { event: Reply }) => ({ result: 'match', value: match(event) }) },
      noInput: { type: 'final', output: { result: 'no-input' } },
      noMatch: { type: 'final', output: { result: 'no-match' } }
    },
    onDone: [
      ...parts.answered,
      ...doneTransitions(parts.onNoInput, { type: 'noInput', params: { after: noInput.length + 1 } }),
      ...doneTransitions(parts.onNoMatch, { type: 'noMatch', params: { after: noMatch.length + 1 } })
    ]
  }
}

/** The actions of a `Next`, in any of its forms. */
type ActionsOf<N> = N extends readonly unknown[] ? ActionsOf<N[number]> : N extends { actions?: infer A } ? A : never

/** `true` for an action function that was typed with any event (a string index signature), `never` for any other. */
type TypedWithAnyEvent<A> =
  A extends readonly unknown[] ? TypedWithAnyEvent<A[number]>
    : A extends (args: infer Args, ...rest: never[]) => unknown
      ? Args extends { event: infer E } ? (string extends keyof E ? true : never) : never
      : never

/**
 * Nothing to add when `onMatch`'s actions see the prompt's value; else a
 * property no options have, so that the prompt does not compile and the
 * message says why. XState's `assign(...)`, `emit(...)` and the like in
 * `onMatch` are read by TypeScript before an inline `match` whose parameter
 * has no type, and so get any event instead of the value's: a misspelt
 * output field would compile.
 */
type OnMatchSeesValue<N> = [TypedWithAnyEvent<ActionsOf<N>>] extends [never]
  ? unknown
  : { 'give match a typed parameter, (reply: Reply) =>, so that the actions of onMatch see its value': never }

/**
 * A question with its reprompts: says `say`, then reads each reply with
 * `match`. Silence (`user_input_timeout`) and replies that do not match are
 * counted apart, each in its own region, so that a diagram shows how many
 * attempts are used; each failure says its reprompt, and when the reprompts
 * are used up the fragment ends with `onNoInput` or `onNoMatch`.
 *
 * It is a state config: put it in the `states` of a flow made with
 * `setupFlow`. Its callbacks see the flow's context and the fragment's
 * output, typed (`TOnMatch` is `onMatch` as written, read only to check
 * that its actions could see the value). Its exits are guarded by the
 * named guards `answered`, `noInput` and `noMatch`, which diagrams and
 * Stately's tools show.
 *
 * @example
 * confirm: prompt({
 *   id: 'confirm',
 *   say: 'Shall I book it? Say yes or no.',
 *   match: (reply) => reply.type === 'user_speak' ? yesOrNo(reply.text) : undefined,
 *   noMatch: ['Please say yes or no.'],
 *   onMatch: [{ guard: ({ event }) => event.output.value, target: 'book' }, { target: 'ask' }],
 *   onNoInput: 'goodbye',
 *   onNoMatch: 'goodbye'
 * })
 */
export function prompt<
  T,
  TContext extends MachineContext = never,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never,
  TOnMatch = unknown
> (options: PromptOptions<T, FlowTypes<TContext, TEvent, NoInfer<TActor>, NoInfer<TAction>, NoInfer<TGuard>, NoInfer<TDelay>>> & { onMatch: TOnMatch } & OnMatchSeesValue<TOnMatch>): FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, PromptInside> {
  checkPromptOptions(options)
  const parts = options as unknown as Omit<PromptParts, 'kind' | 'answered'> & { onMatch: AnyNext }
  const config = promptState({ ...parts, kind: 'prompt', answered: doneTransitions(parts.onMatch, { type: 'answered' }) })
  return config as FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, PromptInside>
}
