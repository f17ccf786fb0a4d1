import { and, type AnyStateNode, type EventObject } from 'xstate'

/*
 * A fragment's exits are told apart by guards with names and params
 * (`{ type: 'choice', params: { is: 'small' } }`), not by inline functions,
 * so that the machine's config says what each exit means: Stately's tools
 * show it, and our diagrams label the exit with it. `setupFlow` gives every
 * flow their implementations.
 */

/** The params of the guards fragments use, by name. */
export interface FragmentGuardParams {
  /** A prompt's reply matched. */
  answered: undefined
  /** A menu's reply picked the choice `is`. */
  choice: { is: string }
  /** The caller stayed silent `after` times: the prompt gave up. */
  noInput: { after: number }
  /** `after` replies did not match: the prompt gave up. */
  noMatch: { after: number }
  /** An agent state's model called the tool `name`; `handoff` when it hands the call over to another agent state. */
  tool: { name: string, handoff?: true }
  /** An agent state's model failed or took too long. */
  modelFailed: undefined
}

type Guards = { [K in keyof FragmentGuardParams]: (args: { event: EventObject }, params: FragmentGuardParams[K]) => boolean }

/** What a prompt's done event says, read without trusting it: a guard named here may be used anywhere. */
function outcome (event: EventObject): { result?: unknown, value?: unknown } {
  const output = (event as { output?: unknown }).output
  return typeof output === 'object' && output !== null ? output : {}
}

/** The implementations of the fragments' guards; `setupFlow` adds them to every flow. */
export const fragmentGuards: Guards = {
  answered: ({ event }) => outcome(event).result === 'match',
  choice: ({ event }, params) => outcome(event).result === 'match' && outcome(event).value === params.is,
  noInput: ({ event }) => outcome(event).result === 'no-input',
  noMatch: ({ event }) => outcome(event).result === 'no-match',
  tool: ({ event }, params) => outcome(event).result === 'tool' && (outcome(event) as { tool?: unknown }).tool === params.name,
  modelFailed: ({ event }) => outcome(event).result === 'error'
}

/** The names of the fragments' guards. */
export const fragmentGuardNames = Object.keys(fragmentGuards) as ReadonlyArray<keyof FragmentGuardParams>

export type ExitGuard = { [K in keyof FragmentGuardParams]: FragmentGuardParams[K] extends undefined ? { type: K } : { type: K, params: FragmentGuardParams[K] } }[keyof FragmentGuardParams]

/** The guard of one exit: the fragment's own, and the author's too when there is one. */
export function exitGuard (exit: ExitGuard, own: unknown): unknown {
  return own === undefined ? exit : and([exit, own as never])
}

/** The fragments there are, as a fragment's state records it in `meta.fragment`. */
export type FragmentKind = 'prompt' | 'menu' | 'collectDigits' | 'agent'

/** The `meta` a fragment's state carries, so that tools can tell it from other states. */
export function fragmentMeta (kind: FragmentKind): { fragment: FragmentKind } {
  return { fragment: kind }
}

/** Which fragment a state node is, or undefined for a state the author wrote. */
export function fragmentOf (node: AnyStateNode): FragmentKind | undefined {
  const kind = (node.meta as { fragment?: unknown } | undefined)?.fragment
  return kind === 'prompt' || kind === 'menu' || kind === 'collectDigits' || kind === 'agent' ? kind : undefined
}

function isExitGuard (guard: unknown): guard is ExitGuard {
  const type = (guard as { type?: unknown } | null)?.type
  return typeof guard === 'object' && (fragmentGuardNames as readonly unknown[]).includes(type)
}

/**
 * What an exit of a fragment means, as a diagram labels it: `small` (a
 * choice), `answered`, `no input ×2` (two silences), `no match`; and the
 * author's own guard of the exit, if any. Undefined for a guard that is no
 * fragment's exit.
 */
export function exitOf (guard: unknown): { label: string, guard?: unknown } | undefined {
  const parts = (guard as { guards?: unknown[] } | undefined)?.guards
  if (typeof guard === 'function' && Array.isArray(parts) && parts.length === 2 && isExitGuard(parts[0])) {
    return { label: exitLabel(parts[0]), guard: parts[1] }
  }
  return isExitGuard(guard) ? { label: exitLabel(guard) } : undefined
}

function exitLabel (guard: ExitGuard): string {
  switch (guard.type) {
    case 'choice': return guard.params.is
    case 'answered': return 'answered'
    case 'tool': return guard.params.handoff === true ? `${guard.params.name} (handoff)` : guard.params.name
    case 'modelFailed': return 'model failed'
    default: return `${guard.type === 'noInput' ? 'no input' : 'no match'}${guard.params.after > 1 ? ` ×${guard.params.after}` : ''}`
  }
}
