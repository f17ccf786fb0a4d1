import type { AiFlowAction } from '../protocol'
import type { ToolWatcher } from './agent-turns'
import type { Call, CallTask } from './call'
import type { CallTurn } from './call-turn'
import type { EventInput } from './call-turns'
import type { Logger } from './logger'
import type { CallWatcher } from './registry-options'

/**
 * Who is told what happens to the calls held here: watchers of each call's
 * changes and end (the live view), observers of every turn (recordings,
 * simulators, the `observe` option) and watchers of function tool runs.
 */
export class CallObservers {
  readonly #watchers = new Set<CallWatcher>()
  readonly #turns = new Set<(turn: CallTurn) => void>()
  /** Told of every function tool run, once it ended: each call's agent turns read it. */
  readonly tools = new Set<ToolWatcher>()

  constructor (observe: ((turn: CallTurn) => void) | undefined) {
    if (observe !== undefined) this.#turns.add(observe)
  }

  /** Whether any observer wants the turns: without one, a turn makes nothing for them. */
  get observing (): boolean {
    return this.#turns.size > 0
  }

  /** Tells `watcher` about every change and end of a call; returns a function that stops it. */
  watch (watcher: CallWatcher): () => void {
    return added(this.#watchers, watcher)
  }

  /** Tells `observer` of every turn; returns a function that stops it. */
  observe (observer: (turn: CallTurn) => void): () => void {
    return added(this.#turns, observer)
  }

  /** Tells `watcher` of every function tool run; returns a function that stops it. */
  watchTools (watcher: ToolWatcher): () => void {
    return added(this.tools, watcher)
  }

  /** The call's state was saved (`ended` false), or the call as it was is over here. */
  changed (id: string, ended: boolean): void {
    for (const watcher of this.#watchers) watcher(id, ended)
  }

  /** An event's turn that, once it has its reply, tells every observer (recording, simulators, live view) of it. */
  observed (call: Call, { event, log, sink }: EventInput, turn: CallTask<AiFlowAction[]>): CallTask<AiFlowAction[]> {
    const at = Date.now()
    return async (claim) => {
      const reply = await turn(claim)
      this.turn({ at, event, reply, state: call.actor?.getSnapshot().value, pushed: sink !== undefined }, log, call.id)
      return reply
    }
  }

  /** Tells every observer of a turn: one that throws is logged, and the reply is sent all the same. */
  turn (turn: CallTurn, log: Logger, sessionId: string): void {
    for (const observe of this.#turns) {
      try {
        observe(turn)
      } catch (err) {
        log.error({ err, sessionId }, 'the observe option threw; the reply is sent all the same')
      }
    }
  }
}

function added<T> (set: Set<T>, item: T): () => void {
  set.add(item)
  return () => { set.delete(item) }
}
