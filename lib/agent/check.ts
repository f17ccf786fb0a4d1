import { InvalidFragmentError } from '../errors'
import { checkId } from '../flow/fragments/check'

/** An agent's options, checked when the flow module loads. */
export function checkAgentOptions (options: { id: string, model?: unknown, tools?: unknown, functions?: unknown, toolRounds?: unknown, modelTimeout?: unknown, timeout?: unknown, history?: unknown, turnLimit?: unknown, noInput?: unknown, onNoInput?: unknown }): void {
  checkId(options.id)
  const fail = (message: string): never => { throw new InvalidFragmentError(options.id, message) }
  const model = options.model as { stream?: unknown } | undefined
  if (typeof model?.stream !== 'function') fail('model must be an AgentModel (an object with a stream method)')
  if (typeof options.tools !== 'object' || options.tools === null) fail('tools must be an object of tools by name')
  for (const [name, tool] of Object.entries(options.tools as Record<string, { parameters?: unknown, then?: unknown, handoff?: unknown }>)) {
    if (!/^[A-Za-z_][\w-]{0,63}$/.test(name)) fail(`tool name ${JSON.stringify(name)} must be letters, digits, _ or -`)
    if (typeof tool?.parameters !== 'object' || tool.parameters === null) fail(`tool ${name} needs parameters (a TypeBox schema; Type.Object({}) for none)`)
    if (tool.then === undefined) fail(`tool ${name} needs then: where the call goes when the model calls it`)
    checkHandoff(name, tool.handoff, fail)
  }
  checkFunctions(options.functions, options.tools as object, fail)
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
  if (!positive(options.toolRounds)) fail('toolRounds must be a positive integer')
  const { history } = options
  if (history === undefined || typeof history === 'function' || (Number.isSafeInteger(history) && (history as number) > 0)) return
  const bounds = history as { messages?: unknown, characters?: unknown } | null
  if (typeof bounds !== 'object' || bounds === null || Array.isArray(bounds) || !positive(bounds.messages) || !positive(bounds.characters)) {
    fail('history must be a positive integer, { messages?, characters? } of positive integers, or a function')
  }
}

/** A transition tool's handoff: `true`, or what of the conversation goes (whole, a number of messages, a summary) and a note. */
function checkHandoff (name: string, handoff: unknown, fail: (message: string) => never): void {
  if (handoff === undefined || handoff === true) return
  const { conversation, note } = (typeof handoff === 'object' && handoff !== null ? handoff : fail(`tool ${name}: handoff must be true or { conversation?, note? }`)) as { conversation?: unknown, note?: unknown }
  const kept = conversation === undefined || conversation === 'whole' || typeof conversation === 'function' || (Number.isSafeInteger(conversation) && (conversation as number) > 0)
  if (!kept) fail(`tool ${name}: handoff.conversation must be 'whole', a positive number of messages, or a function that summarises it`)
  if (note !== undefined && typeof note !== 'function') fail(`tool ${name}: handoff.note must be a function that returns the note`)
}

/** The function tools of an agent: named as tools are, each with its parameters and run, and a name no transition has. */
function checkFunctions (functions: unknown, tools: object, fail: (message: string) => never): void {
  if (functions === undefined) return
  if (typeof functions !== 'object' || functions === null) fail('functions must be an object of function tools by name')
  for (const [name, tool] of Object.entries(functions as Record<string, { parameters?: unknown, run?: unknown, timeout?: unknown, slowLine?: { after?: unknown, text?: unknown } }>)) {
    if (!/^[A-Za-z_][\w-]{0,63}$/.test(name)) fail(`function tool name ${JSON.stringify(name)} must be letters, digits, _ or -`)
    if (Object.hasOwn(tools, name)) fail(`${name} is both a tool and a function tool`)
    if (typeof tool?.parameters !== 'object' || tool.parameters === null) fail(`function tool ${name} needs parameters (a TypeBox schema; Type.Object({}) for none)`)
    if (typeof tool.run !== 'function') fail(`function tool ${name} needs run: what it does when the model calls it`)
    if (tool.timeout !== undefined && !(typeof tool.timeout === 'number' && tool.timeout > 0 && Number.isFinite(tool.timeout))) fail(`function tool ${name}: timeout must be a positive number of seconds`)
    if (tool.slowLine !== undefined && !(typeof tool.slowLine.text === 'string' && typeof tool.slowLine.after === 'number' && tool.slowLine.after >= 0)) {
      fail(`function tool ${name}: slowLine must be { after: ms, text }`)
    }
  }
}
