import type { AnyStateMachine } from 'xstate'
import { eventSchemas } from '../protocol'
import { nearestName } from '../protocol/nearest-name'
import type { Logger } from '../sessions'

/** How many event types one plugin remembers having warned about: a peer sending made-up types cannot grow it further. */
export const REMEMBERED_TYPES = 100

/** The event types the protocol defines and those the flows wait for (a flow may declare events of its own). */
export function knownEventTypes (flows: readonly AnyStateMachine[]): Set<string> {
  const known = new Set<string>(Object.keys(eventSchemas))
  for (const flow of flows) {
    for (const type of flow.root.events) if (type !== '*' && !type.startsWith('xstate.')) known.add(type)
  }
  return known
}

/**
 * Warns, once per type, about events of a type neither the protocol nor
 * the flows know. They still go to the flow (the service may send types
 * newer than this package), but a misspelt type would otherwise pass in
 * silence: the warning names the known type nearest to it.
 */
export class UnknownEventTypes {
  readonly #known: ReadonlySet<string>
  readonly #warned = new Set<string>()
  #full = false

  constructor (known: ReadonlySet<string>) {
    this.#known = known
  }

  note (type: string, log: Logger): void {
    if (this.#known.has(type) || this.#warned.has(type)) return
    if (this.#warned.size >= REMEMBERED_TYPES) {
      if (!this.#full) log.warn({ remembered: REMEMBERED_TYPES }, 'more unknown event types than are remembered: no more are warned about')
      this.#full = true
      return
    }
    this.#warned.add(type)
    const nearest = nearestName(type, this.#known)
    const hint = nearest === undefined ? '' : ` (did you mean "${nearest}"?)`
    log.warn({ eventType: type, nearest }, `an event of unknown type "${type}"${hint} went to the flow as it is; this is said once per type`)
  }
}
