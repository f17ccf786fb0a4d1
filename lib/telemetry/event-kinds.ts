import { eventSchemas } from '../protocol/events'

/**
 * What every event of one type shares, made once per type: the spans
 * waiting in the SDK's batch for export hold one copy of these strings,
 * not one each.
 */
export interface EventKind {
  /** The protocol's event type, or `other`. */
  type: string
  spanName: string
}

const kind = (type: string): EventKind => ({ type, spanName: `aiflow.event ${type}` })

/**
 * The envelope lets any snake_case type through, so the type a caller sends
 * cannot be a metric series, a span name or a summary key as it is: each new
 * one would be kept for the life of the process. The protocol's event types
 * are counted by name, every other type as `other`.
 */
const KNOWN: ReadonlyMap<string, EventKind> = new Map(Object.keys(eventSchemas).map((type) => [type, kind(type)]))
const OTHER = kind('other')

/** The kind an event of this type is counted as. */
export function kindOf (type: string): EventKind {
  return KNOWN.get(type) ?? OTHER
}
