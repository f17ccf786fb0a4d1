import { readFile } from 'node:fs/promises'
import type { AnyStateMachine, AnyStateNode } from 'xstate'
import { flowCoverage, readVisits, scriptText } from '../tools/coverage'
import { transitionLabel } from '../tools/mermaid'
import { placeOf } from '../tools/part-names'
import type { PlacedTransition } from '../tools/xstate-parts'
import type { Paint } from './paint'
import { UsageError } from './usage-error'

function percent (part: number, whole: number): string {
  return whole === 0 ? '100 %' : `${Math.floor(part * 100 / whole)} %`
}

function transitionLine ({ node, transition }: PlacedTransition): string {
  const targets = ((transition.target ?? []) as AnyStateNode[]).map(placeOf)
  const from = node.parent === undefined ? '(any state)' : placeOf(node)
  return `${from} -> ${targets.length === 0 ? '(stays)' : targets.join(', ')}: ${transitionLabel(node, transition)}`
}

/**
 * The report `coverage` prints for a flow from the record its tests left
 * (see `AI_FLOW_COVERAGE`): the share of states and transitions visited,
 * what never was, and a script for each state never visited. Fragments
 * count as one state with their exits unless `expand` is set.
 */
export async function coverageReport (flow: AnyStateMachine, { file, shown: record, expand }: { file: string, shown: string, expand?: boolean }, name: string, c: Paint): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read the coverage record ${record}: ${(err as Error).message}; run the tests with AI_FLOW_COVERAGE=${record} first`)
  }
  let visits
  try {
    visits = readVisits(text, flow)
  } catch (err) {
    throw new UsageError(`${record}: ${(err as Error).message}`)
  }
  if (visits.states.size === 0) {
    throw new UsageError(`${record} holds no visits of ${name} (${flow.id}) as it is now: run its tests again with AI_FLOW_COVERAGE=${record}`)
  }
  const { states, transitions } = flowCoverage(flow, visits, { expand })
  const lines = [
    c.bold(`${name} (${flow.id}), from ${record}`),
    `  states       ${states.visited}/${states.total}  ${percent(states.visited, states.total)}`,
    `  transitions  ${transitions.taken}/${transitions.total}  ${percent(transitions.taken, transitions.total)}`
  ]
  if (states.unvisited.length > 0) lines.push('', c.bold('States never visited, and the shortest script that reaches each:'))
  for (const { node, script } of states.unvisited) {
    lines.push(`  ${c.yellow(placeOf(node))}`)
    lines.push(script === undefined ? c.dim('    no script found: it lies behind an invoked actor, a named delay or words the tests never said') : `    ${scriptText(script)}`)
  }
  if (transitions.untaken.length > 0) lines.push('', c.bold('Transitions never taken:'))
  for (const placed of transitions.untaken) lines.push(`  ${transitionLine(placed)}`)
  return lines
}
