import { InvalidFragmentError } from '../../errors'

/*
 * Fragments are built when a flow module loads: a wrong option throws there,
 * naming the fragment, instead of surfacing in the middle of a call.
 */

function fail (id: unknown, message: string, given: unknown): never {
  throw new InvalidFragmentError(String(id), `${message}, got ${JSON.stringify(given) ?? String(given)}`)
}

function positive (id: string, name: string, value: unknown, integer: boolean): void {
  if (value === undefined) return
  const ok = typeof value === 'number' && value > 0 && (integer ? Number.isSafeInteger(value) : Number.isFinite(value))
  if (!ok) fail(id, `${name} must be a positive ${integer ? 'integer' : 'number'}`, value)
}

export function checkId (id: unknown): void {
  if (typeof id !== 'string' || !/^[A-Za-z_][\w-]*$/.test(id)) fail(id, 'id must be letters, digits, _ or -, starting with a letter or _', id)
}

export function checkPromptOptions (options: { id: string, timeout?: unknown, noInput?: unknown, noMatch?: unknown, match?: unknown }): void {
  checkId(options.id)
  positive(options.id, 'timeout', options.timeout, false)
  if (typeof options.match !== 'function') fail(options.id, 'match must be a function', options.match)
  for (const name of ['noInput', 'noMatch'] as const) {
    if (options[name] !== undefined && !Array.isArray(options[name])) fail(options.id, `${name} must be an array of prompts`, options[name])
  }
}

export function checkChoices (id: string, choices: Record<string, { dtmf?: unknown, words?: unknown }>, on: Record<string, unknown>): void {
  const keys = new Set<unknown>()
  for (const [name, choice] of Object.entries(choices)) {
    const { dtmf, words } = choice
    if (dtmf !== undefined && (typeof dtmf !== 'string' || !/^[0-9*#]$/.test(dtmf) || keys.has(dtmf))) {
      fail(id, `choice ${name}: dtmf must be one key of 0-9, * or #, used once`, dtmf)
    }
    keys.add(dtmf)
    const hasWords = Array.isArray(words) && words.length > 0 && words.every((word) => typeof word === 'string' && word.trim() !== '')
    if (words !== undefined && !hasWords) fail(id, `choice ${name}: words must be non-empty strings`, words)
    if (dtmf === undefined && words === undefined) fail(id, `choice ${name} needs dtmf or words`, choice)
    if (!(name in on)) fail(id, `on must say where choice ${name} leads`, Object.keys(on))
  }
  if (keys.size === 0) fail(id, 'choices must not be empty', choices)
}

export function checkDigitsOptions (options: { id: string, length?: unknown, terminator?: unknown, maxLength?: unknown, interDigitTimeout?: unknown, timeout?: unknown }): void {
  const { id, length, terminator } = options
  checkId(id)
  positive(id, 'length', length, true)
  positive(id, 'maxLength', options.maxLength, true)
  positive(id, 'interDigitTimeout', options.interDigitTimeout, true)
  positive(id, 'timeout', options.timeout, false)
  if (terminator !== undefined && terminator !== '#' && terminator !== '*') fail(id, 'terminator must be # or *', terminator)
  if (length === undefined && terminator === undefined) fail(id, 'give length, terminator or both', options)
}
