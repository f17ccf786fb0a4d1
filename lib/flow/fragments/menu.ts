import { prompt, type PromptOptions, type Reply } from './prompt'
import { doneTransitions, named, type Next } from './next'
import type { FlowFragment } from './fragment'
import { checkChoices, checkId } from './check'

/** How the caller picks one choice: a key, words in what they say, or both. */
export interface Choice {
  /** The key that picks it: one of `0`–`9`, `*`, `#`. */
  dtmf?: string
  /** Words or phrases that pick it when the caller says them, in any case. */
  words?: string[]
}

export interface MenuOptions<K extends string> extends Omit<PromptOptions<K>, 'match' | 'onMatch'> {
  /** The choices by name. */
  choices: Record<K, Choice>
  /** Where each choice leads; `event.output.value` is the choice's name. */
  on: Record<K, Next>
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
 * words, each leading to its own transition.
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
export function menu<K extends string> (options: MenuOptions<K>): FlowFragment {
  const { choices, on, ...rest } = options
  checkId(rest.id)
  checkChoices(rest.id, choices, on)
  const onMatch = (Object.entries(on) as Array<[K, Next]>).flatMap(([name, next]) =>
    doneTransitions(next, named(`chose ${name}`, ({ event }) => event.output.value === name)))
  return prompt<K>({ ...rest, match: matchChoice(choices), onMatch })
}
