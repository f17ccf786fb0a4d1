import { appendFileSync } from 'node:fs'
import type { AnyStateMachine, AnyStateNode, InspectionEvent, Observer } from 'xstate'
import { flowVersionOf } from '../flow'
import { activeStateIds } from '../tools/state-value'
import { transitionKey } from '../tools/xstate-parts'

/** Set to a file, and every flow driven by the testing kit appends what it visits there (JSON Lines). */
export const COVERAGE_FILE_ENV = 'AI_FLOW_COVERAGE'

type Inspect = Observer<InspectionEvent> | ((event: InspectionEvent) => void)

/**
 * One line of the coverage record: a state entered, a transition taken, or
 * an event received (without its session), of the flow whose
 * `flowVersionOf` is `flow`.
 */
export type CoverageLine =
  | { flow: string, state: string }
  | { flow: string, transition: string }
  | { flow: string, event: { type: string, [field: string]: unknown } }

const versions = new WeakMap<AnyStateMachine, string>()
/** The lines this process has appended, by file: every driver of a test run shares them. */
const writtenTo = new Map<string, Set<string>>()

function versionOf (machine: AnyStateMachine): string {
  let version = versions.get(machine)
  if (version === undefined) versions.set(machine, version = flowVersionOf(machine))
  return version
}

function isMachine (logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && '__xstatenode' in logic
}

/** What one inspection event adds to the record. */
export function coverageLines (event: InspectionEvent): CoverageLine[] {
  const machine = (event.actorRef as { logic?: unknown }).logic
  if (!isMachine(machine)) return []
  const flow = versionOf(machine)
  if (event.type === '@xstate.snapshot' || event.type === '@xstate.microstep') {
    const value = (event.snapshot as unknown as { value: Parameters<typeof activeStateIds>[1] }).value
    const lines: CoverageLine[] = activeStateIds(machine, value).map((state) => ({ flow, state }))
    const taken = event.type === '@xstate.microstep' ? event._transitions : []
    return [...lines, ...taken.map((transition) => ({ flow, transition: transitionKey(transition.source as AnyStateNode, transition) }))]
  }
  // Only what came from outside: the events a test's calls sent.
  if (event.type === '@xstate.event' && event.sourceRef === undefined && /^[a-z][a-z0-9_]*$/.test(event.event.type)) {
    const { session: _, ...fields } = event.event as { type: string, session?: unknown }
    return [{ flow, event: fields }]
  }
  return []
}

/**
 * The inspection observer the testing kit hands every flow it drives: the
 * test's own `inspect`, and, when `AI_FLOW_COVERAGE` names a file, one that
 * appends each new visit to it for `fastify-ai-flow coverage`. Each process
 * writes a line once, so a long test run leaves a short file.
 */
export function withCoverage (inspect: Inspect | undefined, file = process.env[COVERAGE_FILE_ENV]): Inspect | undefined {
  if (file === undefined || file === '') return inspect
  let written = writtenTo.get(file)
  if (written === undefined) writtenTo.set(file, written = new Set())
  const lines = written
  return (event: InspectionEvent) => {
    if (typeof inspect === 'function') inspect(event)
    else inspect?.next?.(event)
    const fresh = coverageLines(event).map((line) => JSON.stringify(line)).filter((line) => !lines.has(line))
    if (fresh.length === 0) return
    for (const line of fresh) lines.add(line)
    appendFileSync(file, fresh.join('\n') + '\n')
  }
}
