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
  [ValueErrorType.ArrayMaxItems]: (s) => `must have at most ${s.maxItems} items`,
  [ValueErrorType.Union]: describeUnion
}

function isLiteralUnion (schema: TSchema): boolean {
  return schema.anyOf.every((branch: TSchema) => 'const' in branch)
}

function describeUnion (schema: TSchema): string {
  return `must be one of ${schema.anyOf.map((branch: TSchema) => JSON.stringify(branch.const)).join(', ')}`
}

/**
 * A union of objects reports the error of its closest branch: the one whose
 * first error lies deepest got furthest. Branches that all stop at the same
 * literal (a discriminator such as `provider`) read as a list of choices.
 */
function resolve (error: ValueError): Problem {
  if (error.type !== ValueErrorType.Union || isLiteralUnion(error.schema)) return { path: error.path, message: message(error) }
  let best: ValueError[] = []
  for (const iterator of error.errors) {
    const first = iterator.First()
    if (first === undefined) continue
    if (best.length === 0 || first.path.length > best[0].path.length) best = [first]
    else if (first.path.length === best[0].path.length) best.push(first)
  }
  /* c8 ignore next -- a failed union always has a branch that reports an error */
  if (best.length === 0) return { path: error.path, message: message(error) }
  if (best.length > 1 && best.every((e) => e.type === ValueErrorType.Literal && e.path === best[0].path)) {
    return { path: best[0].path, message: `must be one of ${best.map((e) => JSON.stringify(e.schema.const)).join(', ')}` }
  }
  return resolve(best[0])
}

function message (error: ValueError): string {
  const custom = (error.schema as { errorMessage?: string }).errorMessage
  if (custom !== undefined) return custom
  const fn = describe[error.type]
  /* c8 ignore next -- the protocol's schemas use only the keywords above */
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
