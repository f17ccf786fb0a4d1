import { validateAction } from '../protocol'
import type { SessionRecord, TimerRecord } from '../stores/store'

function isWork (value: unknown): boolean {
  const work = value as Record<string, unknown> | null
  return typeof work === 'object' && work !== null && typeof work.key === 'string' && typeof work.path === 'string' && typeof work.owner === 'string'
}

function isTimer (value: unknown): boolean {
  const timer = value as Partial<Record<keyof TimerRecord, unknown>> | null
  return typeof timer === 'object' && timer !== null && typeof timer.id === 'string' &&
    typeof timer.source === 'string' && typeof timer.target === 'string' && Number.isFinite(timer.dueAt) &&
    typeof timer.event === 'object' && timer.event !== null && typeof (timer.event as { type?: unknown }).type === 'string'
}

/**
 * Checks the shape of a record loaded from a store: a store is outside the
 * process, so what it returns is not trusted. Returns what is wrong, or
 * undefined when the record is usable.
 */
export function recordProblem (record: unknown, id: string): string | undefined {
  if (typeof record !== 'object' || record === null) return 'not an object'
  const r = record as Partial<Record<keyof SessionRecord, unknown>>
  if (typeof r.version !== 'string') return 'version is not a string'
  if (typeof r.revision !== 'number') return 'revision is not a number'
  if (r.incarnation !== undefined && typeof r.incarnation !== 'number') return 'incarnation is not a number'
  if (!Array.isArray(r.pending)) return 'pending is not an array'
  for (const action of r.pending) {
    if (!validateAction(action).ok || action.session_id !== id) return 'pending holds an invalid action'
  }
  if (typeof r.failed !== 'boolean') return 'failed is not a boolean'
  if (typeof r.session !== 'object' || r.session === null) return 'session is not an object'
  if (!r.failed && (typeof r.snapshot !== 'object' || r.snapshot === null)) return 'snapshot is not an object'
  if (typeof r.startedAt !== 'number') return 'startedAt is not a number'
  if (r.timers !== undefined && (!Array.isArray(r.timers) || !r.timers.every(isTimer))) return 'timers holds an invalid timer'
  if (r.work !== undefined && (!Array.isArray(r.work) || !r.work.every(isWork))) return 'work holds an invalid entry'
  return undefined
}
