import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { flowVersionOf } from '../flow'
import { fragmentOf } from '../flow/fragments/exits'
import type { Move } from '../testing/simulate'
import { shortestScripts } from './shortest-scripts'
import { stateNodes, targetsOf, transitionKey, transitionsOf, type PlacedTransition } from './xstate-parts'

/** What the tests visited of one flow, read from the coverage record. */
export interface Visits {
  states: Set<string>
  transitions: Set<string>
  events: Array<{ type: string, [field: string]: unknown }>
}

export interface UnvisitedState {
  node: AnyStateNode
  /** The shortest script that reaches it, when one was found. */
  script?: Move[]
}

export interface Coverage {
  states: { total: number, visited: number, unvisited: UnvisitedState[] }
  transitions: { total: number, taken: number, untaken: PlacedTransition[] }
}

/**
 * The visits of `flow` in a coverage record (JSON Lines, as the testing kit
 * writes it with `AI_FLOW_COVERAGE`): lines of other flows, or of another
 * version of this one, are left out. A line that is not JSON throws, naming it.
 */
export function readVisits (text: string, flow: AnyStateMachine): Visits {
  const version = flowVersionOf(flow)
  const visits: Visits = { states: new Set(), transitions: new Set(), events: [] }
  const events = new Set<string>()
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(line)
    } catch {
      throw new SyntaxError(`line ${index + 1} is not JSON: ${line.slice(0, 60)}`)
    }
    if (parsed.flow !== version) return
    if (typeof parsed.state === 'string') visits.states.add(parsed.state)
    if (typeof parsed.transition === 'string') visits.transitions.add(parsed.transition)
    const event = parsed.event as Visits['events'][number] | undefined
    if (typeof event?.type === 'string' && !events.has(JSON.stringify(event))) {
      events.add(JSON.stringify(event))
      visits.events.push(event)
    }
  })
  return visits
}

export interface CoverageOptions {
  /**
   * Count the inside of fragments (`prompt`, `menu`, `collectDigits`,
   * `agent`) too: their listening and reprompt states and the transitions
   * between them. Default false: a fragment is one state, and of its
   * transitions only its exits count, as `diagram` draws it.
   */
  expand?: boolean
}

/** Whether `node` lies strictly inside `outer`. */
function isInside (node: AnyStateNode, outer: AnyStateNode): boolean {
  for (let parent = node.parent; parent !== undefined; parent = parent.parent) if (parent === outer) return true
  return false
}

/** Whether a fragment is around `node`: then the fragment wrote it, not the author. */
function inFragment (node: AnyStateNode): boolean {
  for (let parent = node.parent; parent !== undefined; parent = parent.parent) if (fragmentOf(parent) !== undefined) return true
  return false
}

/** A transition the author wrote: not inside a fragment, and of a fragment's own, only its exits. */
function isAuthors ({ node, transition }: PlacedTransition): boolean {
  if (inFragment(node)) return false
  if (fragmentOf(node) === undefined) return true
  const targets = targetsOf(transition)
  return targets.length > 0 && targets.every((target) => !isInside(target, node))
}

/**
 * State and transition coverage of a flow, as Dialogflow CX gives it for
 * its test cases: what was visited, what never was, and for each state
 * never visited the shortest script that reaches it (see `shortestScripts`;
 * the events the tests sent are tried too). Fragments count as one state
 * with their exits unless `expand` is set.
 *
 * @example
 * const { states } = flowCoverage(flow, readVisits(readFileSync('coverage.jsonl', 'utf8'), flow))
 */
export function flowCoverage (flow: AnyStateMachine, visits: Visits, { expand = false }: CoverageOptions = {}): Coverage {
  // The machine itself is always in; history states are where a state was, not a state.
  const states = stateNodes(flow).filter((node) => node.parent !== undefined && node.type !== 'history' && (expand || !inFragment(node)))
  const unvisitedNodes = states.filter((node) => !visits.states.has(node.id))
  const scripts = unvisitedNodes.length === 0 ? new Map() : shortestScripts(flow, { events: visits.events })
  const transitions = stateNodes(flow).flatMap(transitionsOf).filter((placed) => expand || isAuthors(placed))
  const untaken = transitions.filter(({ node, transition }) => !visits.transitions.has(transitionKey(node, transition)))
  return {
    states: {
      total: states.length,
      visited: states.length - unvisitedNodes.length,
      unvisited: unvisitedNodes.map((node) => ({ node, ...(scripts.has(node) && { script: scripts.get(node) }) }))
    },
    transitions: { total: transitions.length, taken: transitions.length - untaken.length, untaken }
  }
}

/** A move as a person writes it in a test: `'start'`, `{ say: 'hours' }`. */
function literal (value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (typeof value !== 'object' || value === null) return String(value)
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`
  const fields = Object.entries(value).map(([key, inner]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key)}: ${literal(inner)}`)
  return `{ ${fields.join(', ')} }`
}

/** The script as code: `await runScript(flow, ['start', { press: '2' }])`. */
export function scriptText (script: readonly Move[]): string {
  return `await runScript(flow, ${literal(script)})`
}
