import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import type { TSchema } from '@sinclair/typebox'

/** One reason a payload is invalid: a JSON pointer and what is wrong there. */
export interface Problem {
  path: string
  message: string
}

type Describe = (schema: TSchema, error: ValueError) => string

const describe: Partial<Record<ValueErrorType, Describe>> = {
  [ValueErrorType.ObjectRequiredProperty]: () => 'is required',
  [ValueErrorType.ObjectAdditionalProperties]: () => 'is not allowed',
  [ValueErrorType.Object]: () => 'must be an object',
  [ValueErrorType.Array]: () => 'must be an array',
  [ValueErrorType.String]: () => 'must be a string',
  [ValueErrorType.Number]: () => 'must be a number',
  [ValueErrorType.Integer]: () => 'must be an integer',
  [ValueErrorType.Boolean]: () => 'must be a boolean',
  [ValueErrorType.Literal]: (s) => `must be ${JSON.stringify(s.const)}`,
  [ValueErrorType.StringMinLength]: (s) => s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`,
  [ValueErrorType.StringMaxLength]: (s) => `must be at most ${s.maxLength} characters`,
  [ValueErrorType.StringPattern]: (s) => `must match ${s.pattern}`,
  [ValueErrorType.NumberMinimum]: (s) => `must be >= ${s.minimum}`,
  [ValueErrorType.NumberMaximum]: (s) => `must be <= ${s.maximum}`,
  [ValueErrorType.NumberExclusiveMinimum]: (s) => `must be > ${s.exclusiveMinimum}`,
  [ValueErrorType.IntegerMinimum]: (s) => `must be >= ${s.minimum}`,
  [ValueErrorType.IntegerMaximum]: (s) => `must be <= ${s.maximum}`,
  [ValueErrorType.ArrayMinItems]: (s) => `must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`,
  [ValueErrorType.ArrayMaxItems]: (s) => `must have at most ${s.maxItems} items`
}

/**
 * The names a discriminator that did not match allows, quoted: a literal's
 * one, a union of literals' every one, none for the name of a newer value
 * (any other name). Undefined for an error that is not a discriminator's.
 */
function choices (error: ValueError): string[] | undefined {
  const schema = error.schema as TSchema & { const?: unknown, anyOf?: TSchema[], otherThan?: unknown }
  if (error.type === ValueErrorType.Literal) return [JSON.stringify(schema.const)]
  if (error.type === ValueErrorType.Union && schema.anyOf?.every((branch) => 'const' in branch) === true) return schema.anyOf.map((branch) => JSON.stringify(branch.const))
  if (error.type === ValueErrorType.StringPattern && schema.otherThan !== undefined) return []
  return undefined
}

function isDiscriminator (error: ValueError): boolean {
  return choices(error) !== undefined
}

/**
 * A failed union reports the error of the branch the payload chose. Branches
 * are told apart by their literals (a discriminator such as `provider`): a
 * branch with a literal that does not match is one the payload did not
 * choose, whatever else is wrong with it. When every branch was ruled out by
 * the same literal, the problem reads as a list of choices. Relies on
 * TypeBox reporting at least one error for every branch of a failed union.
 */
function resolve (error: ValueError): Problem {
  if (error.type !== ValueErrorType.Union || isDiscriminator(error)) return { path: error.path, message: message(error) }
  const branches = error.errors.map((iterator) => [...iterator])
  const chosen = branches.filter((errors) => !errors.some(isDiscriminator)).flat()
  if (chosen.length > 0) return resolve(chosen[0])
  const literals = branches.flat().filter(isDiscriminator)
  if (literals.some((e) => e.path !== literals[0].path)) return resolve(literals[0])
  const names = literals.flatMap((e) => choices(e) as string[])
  const newer = literals.some((e) => choices(e)?.length === 0) ? ', or the name of a newer one' : ''
  return { path: literals[0].path, message: `must be one of ${names.join(', ')}${newer}` }
}

/**
 * A schema's `errorMessage` explains its pattern in words. It does not stand
 * in for "is required" or "must be a string": `"digit": 1` should not read
 * "must be exactly one of 0-9, * or #".
 */
function message (error: ValueError): string {
  const union = choices(error)
  if (error.type === ValueErrorType.Union && union !== undefined) return `must be one of ${union.join(', ')}`
  const custom = (error.schema as { errorMessage?: string }).errorMessage
  if (custom !== undefined && error.type === ValueErrorType.StringPattern) return custom
  const fn = describe[error.type]
  return fn === undefined ? error.message : fn(error.schema, error)
}

/**
 * Turns TypeBox's errors into a few readable problems, one per field, in the
 * order TypeBox reports them.
 */
export function toProblems (errors: Iterable<ValueError>, limit = 5): Problem[] {
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const problem = resolve(error)
    if (seen.has(problem.path)) continue
    seen.add(problem.path)
    problems.push(problem)
    if (problems.length === limit) break
  }
  return problems
}

/** `body/session/id must not be empty, body/text must be a string` */
export function formatProblems (problems: readonly Problem[], root: string): string {
  return problems.map((problem) => `${root}${problem.path} ${problem.message}`).join(', ')
}
