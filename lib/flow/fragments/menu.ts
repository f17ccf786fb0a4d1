import type { DoneStateEvent, EventObject, MachineContext, ParameterizedObject, ProvidedActor } from 'xstate'
import type { FlowEvent } from '../setup-flow'
import { promptState, type Answered, type PromptInside, type PromptOptions, type PromptParts, type Reply } from './prompt'
import { doneTransitions, type AnyNext } from './next'
import type { AnyFlowTypes, FlowFragment, FlowTypes, Next } from './fragment'
import { checkChoices, checkId, checkPromptOptions } from './check'

/** How the caller picks one choice: a key, words in what they say, or both. */
export interface Choice {
  /** The key that picks it: one of `0`–`9`, `*`, `#`. */
  dtmf?: string
  /** Words or phrases that pick it when the caller says them, in any case. */
  words?: string[]
}

export interface MenuOptions<K extends string, F extends AnyFlowTypes = FlowTypes> extends Omit<PromptOptions<K, F>, 'match' | 'onMatch'> {
  /** The choices by name. */
  choices: Record<K, Choice>
  /** Where each choice leads; `event.output.value` is the choice's name. */
  on: { [C in NoInfer<K>]: Next<DoneStateEvent<Answered<C>>, F> }
}

/** Lower case, letters and digits only, single spaces, padded: ` two words `. */
function normalise (text: string): string {
  return ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `
}

/**
 * The `match` of a menu: the choice whose key was pressed, or the one choice
 * whose words were said. A reply that names two choices matches neither, so
 * the caller is asked again rather than sent the wrong way.
 */
export function matchChoice<K extends string> (choices: Record<K, Choice>): (reply: Reply) => K | undefined {
  const entries = Object.entries(choices) as Array<[K, Choice]>
  const phrases = entries.map(([name, choice]) => [name, (choice.words ?? []).map(normalise)] as const)
  return (reply) => {
    if (reply.type === 'dtmf_received') return entries.find(([, choice]) => choice.dtmf === reply.digit)?.[0]
    const said = normalise(reply.text)
    const named = phrases.filter(([, words]) => words.some((word) => word.trim() !== '' && said.includes(word)))
    return named.length === 1 ? named[0][0] : undefined
  }
}

/**
 * A menu: a {@link prompt} whose replies are choices, by key and/or by
 * words, each leading to its own transition. Each choice's exit is guarded
 * by `{ type: 'choice', params: { is: <name> } }`, so diagrams and Stately's
 * tools label it with the choice's name.
 *
 * @example
 * main: menu({
 *   id: 'main',
 *   say: 'For sales press 1 or say sales. For support press 2 or say support.',
 *   choices: { sales: { dtmf: '1', words: ['sales'] }, support: { dtmf: '2', words: ['support', 'help'] } },
 *   on: { sales: 'sales', support: 'support' },
 *   noMatch: ['Sorry, press 1 for sales or 2 for support.'],
 *   onNoInput: 'operator',
 *   onNoMatch: 'operator'
 * })
 */
export function menu<
  const K extends string,
  TContext extends MachineContext = never,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never
> (options: MenuOptions<K, FlowTypes<TContext, TEvent, NoInfer<TActor>, NoInfer<TAction>, NoInfer<TGuard>, NoInfer<TDelay>>>): FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, PromptInside> {
  const { choices, on, ...rest } = options
  checkId(rest.id)
  checkChoices(rest.id, choices, on)
  const match = matchChoice(choices)
  checkPromptOptions({ ...rest, match })
  const answered = (Object.entries(on) as Array<[string, AnyNext]>).flatMap(([name, next]) =>
    doneTransitions(next, { type: 'choice', params: { is: name } }))
  const parts = rest as unknown as Omit<PromptParts, 'kind' | 'match' | 'answered'>
  const config = promptState({ ...parts, kind: 'menu', match, answered })
  return config as FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, PromptInside>
}
