import type { AnyStateMachine } from 'xstate'

/** What every run of one function tool shares, made once per tool: its metrics' name and its span's. */
export interface ToolKind {
  /** The tool's name, or `other`. */
  name: string
  spanName: string
}

const kind = (name: string): ToolKind => ({ name, spanName: `aiflow.tool ${name}` })
const OTHER = kind('other')

/**
 * The function tools the flows' agent states declare, by name: a name
 * none of them declares is counted as `other`, so that no name a model
 * makes up becomes a metric series or a span name kept for the life of the
 * process.
 */
export class ToolKinds {
  readonly #known = new Map<string, ToolKind>()

  constructor (names: Iterable<string>) {
    for (const name of names) this.#known.set(name, kind(name))
  }

  of (name: string): ToolKind {
    return this.#known.get(name) ?? OTHER
  }
}

interface NodeLike { meta?: { fragment?: unknown, functions?: unknown }, config: { invoke?: unknown }, states: Record<string, NodeLike> }
type Logic = { root?: NodeLike }

/**
 * The names of the function tools of every agent state in the machines,
 * and in the machines they invoke; undefined when they have no agent state.
 */
export function functionToolNames (machines: readonly AnyStateMachine[]): Set<string> | undefined {
  const names = new Set<string>()
  let agents = false
  const seen = new Set<unknown>()
  const visit = (logic: unknown): void => {
    if (typeof logic !== 'object' || logic === null || seen.has(logic) || (logic as Logic).root === undefined) return
    seen.add(logic)
    const machine = logic as AnyStateMachine
    for (const actor of Object.values(machine.implementations.actors)) visit(actor)
    walk((logic as Logic).root as NodeLike)
  }
  const walk = (node: NodeLike): void => {
    if (node.meta?.fragment === 'agent') agents = true
    const functions = node.meta?.functions
    if (Array.isArray(functions)) for (const name of functions) names.add(String(name))
    const invokes = node.config.invoke === undefined ? [] : Array.isArray(node.config.invoke) ? node.config.invoke : [node.config.invoke]
    for (const invoke of invokes) visit((invoke as { src?: unknown }).src)
    for (const child of Object.values(node.states)) walk(child)
  }
  for (const machine of machines) visit(machine)
  return agents ? names : undefined
}
