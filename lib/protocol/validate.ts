import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { EventEnvelopeSchema, eventSchemas } from './events'
import { actionSchemas, MixAudioActionSchema, SpeakActionSchema, type AiFlowAction } from './actions'
import { toProblems, type Problem } from './problems'

export type Validation<T> = { ok: true, value: T } | { ok: false, problems: Problem[] }

function compileAll<K extends string> (schemas: Record<K, TSchema>): Map<string, TypeCheck<TSchema>> {
  return new Map(Object.entries<TSchema>(schemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]))
}

const eventChecks = compileAll(eventSchemas)
const envelopeCheck = TypeCompiler.Compile(EventEnvelopeSchema)
const actionChecks = compileAll(actionSchemas)
const actionTypes = Object.keys(actionSchemas)
// The either-or actions are checked against the branch the payload chose, so
// that an error names the field that is wrong rather than "no branch matched".
const speakChecks = SpeakActionSchema.anyOf.map((branch) => TypeCompiler.Compile(branch))
const mixAudioChecks = MixAudioActionSchema.anyOf.map((branch) => TypeCompiler.Compile(branch))

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function check<T> (compiled: TypeCheck<TSchema>, value: unknown): Validation<T> {
  if (compiled.Check(value)) return { ok: true, value: value as T }
  return { ok: false, problems: toProblems(compiled.Errors(value)) }
}

/**
 * Validates an incoming event without coercing anything. A documented event
 * is checked against its own schema; an event type the service added later
 * only needs a `type` and a `session.id`, and passes through unchanged.
 */
export function validateEvent (value: unknown): Validation<{ type: string, session: { id: string } }> {
  if (!isRecord(value)) return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] }
  const compiled = typeof value.type === 'string' ? eventChecks.get(value.type) : undefined
  return check(compiled ?? envelopeCheck, value)
}

/**
 * Validates an action as it is about to leave: strict, every documented
 * constraint, with a clear word for the two either-or rules.
 */
export function validateAction (value: unknown): Validation<AiFlowAction> {
  if (!isRecord(value)) return { ok: false, problems: [{ path: '', message: 'must be an object' }] }
  switch (value.type) {
    case 'speak':
      if (('text' in value) === ('ssml' in value)) {
        return { ok: false, problems: [{ path: '', message: 'must have exactly one of text or ssml' }] }
      }
      return check(speakChecks['text' in value ? 0 : 1], value)
    case 'mix_audio':
      if (value.stop !== true && !('audio' in value)) {
        return { ok: false, problems: [{ path: '/audio', message: 'is required unless stop is true' }] }
      }
      return check(mixAudioChecks[value.stop === true ? 1 : 0], value)
  }
  const compiled = typeof value.type === 'string' ? actionChecks.get(value.type) : undefined
  if (compiled === undefined) {
    return { ok: false, problems: [{ path: '/type', message: `must be one of ${actionTypes.join(', ')}` }] }
  }
  return check(compiled, value)
}
