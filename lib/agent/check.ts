import { InvalidFragmentError } from '../errors'
import { checkId } from '../flow/fragments/check'

/** An agent's options, checked when the flow module loads. */
export function checkAgentOptions (options: { id: string, model?: unknown, tools?: unknown, modelTimeout?: unknown, timeout?: unknown, history?: unknown, turnLimit?: unknown, noInput?: unknown, onNoInput?: unknown }): void {
  checkId(options.id)
  const fail = (message: string): never => { throw new InvalidFragmentError(options.id, message) }
  const model = options.model as { stream?: unknown } | undefined
  if (typeof model?.stream !== 'function') fail('model must be an AgentModel (an object with a stream method)')
  if (typeof options.tools !== 'object' || options.tools === null) fail('tools must be an object of tools by name')
  for (const [name, tool] of Object.entries(options.tools as Record<string, { parameters?: unknown, then?: unknown }>)) {
    if (!/^[A-Za-z_][\w-]{0,63}$/.test(name)) fail(`tool name ${JSON.stringify(name)} must be letters, digits, _ or -`)
    if (typeof tool?.parameters !== 'object' || tool.parameters === null) fail(`tool ${name} needs parameters (a TypeBox schema; Type.Object({}) for none)`)
    if (tool.then === undefined) fail(`tool ${name} needs then: where the call goes when the model calls it`)
  }
  for (const name of ['modelTimeout', 'timeout'] as const) {
    const value = options[name]
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) fail(`${name} must be a positive number of seconds`)
  }
  if (options.noInput !== undefined) {
    if (!Array.isArray(options.noInput)) fail('noInput must be an array of lines, one per silence')
    if (options.onNoInput === undefined) fail('noInput needs onNoInput: where the call goes after the last silence')
  }
  const positive = (value: unknown): boolean => value === undefined || (Number.isSafeInteger(value) && (value as number) > 0)
  if (!positive(options.turnLimit)) fail('turnLimit must be a positive integer (characters)')
  const { history } = options
  if (history === undefined || typeof history === 'function' || (Number.isSafeInteger(history) && (history as number) > 0)) return
  const bounds = history as { messages?: unknown, characters?: unknown } | null
  if (typeof bounds !== 'object' || bounds === null || Array.isArray(bounds) || !positive(bounds.messages) || !positive(bounds.characters)) {
    fail('history must be a positive integer, { messages?, characters? } of positive integers, or a function')
  }
}
