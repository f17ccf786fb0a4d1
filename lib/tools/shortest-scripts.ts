import { getMicrosteps, initialTransition, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, type EventObject } from 'xstate'
import type { Move } from '../testing/simulate'
import { simulatedSession, type Direction } from '../testing/events'
import { activeStateIds } from './state-value'
import { emittedEvents } from './xstate-parts'

/** An event to try, without its session, and the move of a script that sends it. */
interface Step {
  event: EventObject & Record<string, unknown>
  move: Move
}

export interface SearchOptions {
  /** Events to try besides the ones every call can send: what the tests sent (`user_speak` texts, above all). */
  events?: ReadonlyArray<{ type: string, [field: string]: unknown }>
  /** The longest script tried. Default 12 moves. */
  maxMoves?: number
  /** How many distinct snapshots are explored at most, per direction. Default 5000. */
  maxSnapshots?: number
}

const CALLER_STEPS: Step[] = [
  ...'0123456789*#'.split('').map((digit): Step => ({ event: { type: 'dtmf_received', digit }, move: { press: digit } })),
  { event: { type: 'user_input_timeout' }, move: 'silence' },
  { event: { type: 'assistant_speech_ended' }, move: 'speechEnded' },
  { event: { type: 'user_speech_started' }, move: 'speechStarted' },
  { event: { type: 'session_start' }, move: 'transferFailed' },
  { event: { type: 'session_end' }, move: 'hangUp' },
  // Words no flow is likely to look for: what any answer does.
  { event: { type: 'user_speak', text: 'hello' }, move: { say: 'hello' } },
  { event: { type: 'user_speak', text: 'hello', barged_in: true }, move: { bargeIn: 'hello' } }
]

/** The move of a script that sends a recorded event. */
export function moveOf (event: { type: string, [field: string]: unknown }): Move {
  if (event.type === 'user_speak' && typeof event.text === 'string') return event.barged_in === true ? { bargeIn: event.text } : { say: event.text }
  const same = CALLER_STEPS.find((step) => JSON.stringify(step.event) === JSON.stringify(event))
  return same?.move ?? { send: event }
}

/** The flow's `after` transitions due in the snapshot, as waits, when their delay is a number of ms. */
function delaySteps (machine: AnyStateMachine, nodes: readonly AnyStateNode[]): Step[] {
  const delays = machine.implementations.delays as Record<string, unknown>
  return nodes.flatMap((node) => node.after.flatMap(({ delay, eventType }): Step[] => {
    const ms = typeof delay === 'number' ? delay : delays[String(delay)]
    return typeof ms === 'number' ? [{ event: { type: eventType }, move: { wait: ms } }] : []
  }))
}

function activeNodes (machine: AnyStateMachine, snapshot: AnyMachineSnapshot): AnyStateNode[] {
  return activeStateIds(machine, snapshot.value).map((id) => machine.getStateNodeById(id))
}

function keyOf (snapshot: AnyMachineSnapshot): string {
  try {
    return JSON.stringify([snapshot.value, snapshot.context])
  } catch {
    return JSON.stringify(snapshot.value)
  }
}

interface Played {
  snapshot: AnyMachineSnapshot
  /** Every state the step passed through, transient ones (left at once by `always`) included. */
  visited: AnyStateNode[]
  ended: boolean
}

/**
 * One step of the flow, as the simulator plays it: the event, and when the
 * flow emits `hangup`, the `session_end` the service then sends. Undefined
 * when the flow fails (XState throws what a guard or an action threw).
 */
function play (machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject & { session: unknown }): Played | undefined {
  try {
    const steps = getMicrosteps(machine, snapshot, event)
    const ended = emittedEvents(steps.flatMap(([, actions]) => actions)).some((emitted) => (emitted as { type?: unknown } | undefined)?.type === 'hangup')
    // A step always has one microstep at least: the snapshot itself when the event changes nothing.
    let last = (steps.at(-1) as (typeof steps)[number])[0]
    if (ended && last.status === 'active') {
      const hangUp = getMicrosteps(machine, last, { type: 'session_end', session: event.session })
      steps.push(...hangUp)
      last = (hangUp.at(-1) as (typeof steps)[number])[0]
    }
    const visited = [...new Set(steps.flatMap(([step]) => activeNodes(machine, step)))]
    return { snapshot: last, visited, ended: ended || last.status === 'done' }
  } catch {
    return undefined
  }
}

function search (machine: AnyStateMachine, direction: Direction, steps: readonly Step[], options: SearchOptions, found: Map<AnyStateNode, Move[]>): void {
  const session = simulatedSession(direction, { id: 'coverage' })
  const start: Move = direction === 'inbound' ? 'start' : { start: 'outbound' }
  const [initial] = initialTransition(machine, { session })
  const seen = new Set([keyOf(initial)])
  // The initial states are visited as the call starts.
  for (const node of activeNodes(machine, initial)) if (!found.has(node)) found.set(node, [start])
  let layer: Array<{ snapshot: AnyMachineSnapshot, moves: Move[] }> = [{ snapshot: initial, moves: [] }]
  for (let depth = 0; depth < (options.maxMoves ?? 12) && layer.length > 0; depth++) {
    const next: typeof layer = []
    for (const { snapshot, moves } of layer) {
      const nodes = activeNodes(machine, snapshot)
      const tries: Step[] = moves.length === 0 ? [{ event: { type: 'session_start' }, move: start }] : [...steps, ...delaySteps(machine, nodes)]
      for (const step of tries) {
        const result = play(machine, snapshot, { ...step.event, session })
        if (result === undefined) continue
        const script = [...moves, step.move]
        for (const node of result.visited) {
          if ((found.get(node)?.length ?? Infinity) > script.length) found.set(node, script)
        }
        const key = keyOf(result.snapshot)
        if (seen.has(key) || seen.size >= (options.maxSnapshots ?? 5000)) continue
        seen.add(key)
        if (!result.ended) next.push({ snapshot: result.snapshot, moves: script })
      }
    }
    layer = next
  }
}

/**
 * The shortest script (for `runScript`) that leads the flow into each state
 * it can reach, found by trying every move breadth first on XState's pure
 * `transition`, inbound and outbound: keys, silence, the end of our speech,
 * a failed transfer, hanging up, the flow's own delays, and the events of
 * `options.events`. What the flow's invoked actors would do (a
 * `collectDigits` collector, a promise) is not run, so states behind them
 * are not found.
 */
export function shortestScripts (machine: AnyStateMachine, options: SearchOptions = {}): Map<AnyStateNode, Move[]> {
  // What the caller said, tried as said and as said over our speech.
  const recorded = (options.events ?? []).flatMap((event) => event.type === 'user_speak' ? [{ ...event, barged_in: false }, { ...event, barged_in: true }] : [event])
    .map(({ barged_in: bargedIn, ...event }): Step => {
      const full = bargedIn === true ? { ...event, barged_in: true } : event
      return { event: full, move: moveOf(full) }
    })
  const known = new Set(CALLER_STEPS.map((step) => JSON.stringify(step.event)))
  const steps = [...CALLER_STEPS, ...recorded.filter((step) => !known.has(JSON.stringify(step.event)))]
  const found = new Map<AnyStateNode, Move[]>()
  search(machine, 'inbound', steps, options, found)
  search(machine, 'outbound', steps, options, found)
  return found
}
