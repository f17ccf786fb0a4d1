import t from 'tap'
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
// toProblems is internal to the protocol module (validateEvent and validateAction
// are its public face); these cases reach the wording the protocol's own schemas
// do not use yet.
import { toProblems } from '../../lib/protocol/problems'

function problemsOf (schema: TSchema, value: unknown, limit?: number) {
  return toProblems(Value.Errors(schema, value), limit)
}

t.test('wording for keywords the protocol schemas do not use yet', async (t) => {
  const cases: Array<[string, TSchema, unknown, string]> = [
    ['a minimum length above one', Type.String({ minLength: 3 }), 'ab', 'must be at least 3 characters'],
    ['a minimum of several items', Type.Array(Type.String(), { minItems: 2 }), ['a'], 'must have at least 2 items'],
    ['a pattern without errorMessage', Type.String({ pattern: '^a+$' }), 'b', 'must match ^a+$'],
    ['a lone literal', Type.Literal('on'), 'off', 'must be "on"']
  ]
  for (const [name, schema, value, message] of cases) {
    t.same(problemsOf(schema, value), [{ path: '', message }], name)
  }
})

t.test('a keyword without wording of its own falls back to TypeBox', async (t) => {
  const problems = problemsOf(Type.Number({ multipleOf: 5 }), 7)
  t.same(problems.map((problem) => problem.path), [''])
  t.match(problems[0].message, /multiple of 5/)
})

t.test('an errorMessage words the pattern only', async (t) => {
  const schema = Type.Object({ code: Type.String({ pattern: '^[0-9]{4}$', errorMessage: 'must be four digits' }) })
  t.same(problemsOf(schema, { code: '12a4' }), [{ path: '/code', message: 'must be four digits' }])
  t.same(problemsOf(schema, { code: 1234 }), [{ path: '/code', message: 'must be a string' }])
  t.same(problemsOf(schema, {}), [{ path: '/code', message: 'is required' }])
})

t.test('a union reports the branch the payload chose', async (t) => {
  const schema = Type.Object({
    shape: Type.Union([
      Type.Object({ kind: Type.Literal('circle'), radius: Type.Number() }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('square'), side: Type.Number() }, { additionalProperties: false })
    ])
  })
  t.same(problemsOf(schema, { shape: { kind: 'square', side: '2' } }), [{ path: '/shape/side', message: 'must be a number' }])
  t.same(problemsOf(schema, { shape: { kind: 'square', side: 2, radius: 1 } }), [{ path: '/shape/radius', message: 'is not allowed' }])
  t.same(problemsOf(schema, { shape: { kind: 'circle', radius: 1, side: 2 } }), [{ path: '/shape/side', message: 'is not allowed' }])
  t.same(problemsOf(schema, { shape: { kind: 'triangle' } }), [{ path: '/shape/kind', message: 'must be one of "circle", "square"' }])
  t.same(problemsOf(schema, { shape: [] }), [{ path: '/shape', message: 'must be an object' }])
})

t.test('a union whose branches were ruled out in different places reports the first', async (t) => {
  const schema = Type.Union([
    Type.Object({ a: Type.Literal('x') }),
    Type.Object({ b: Type.Literal('y') })
  ])
  t.same(problemsOf(schema, { a: 'z', b: 'z' }), [{ path: '/a', message: 'must be "x"' }])
})

t.test('a union of plain types reports its first branch', async (t) => {
  t.same(problemsOf(Type.Union([Type.String(), Type.Number()]), true), [{ path: '', message: 'must be a string' }])
})

t.test('one problem per path, at most limit problems', async (t) => {
  const schema = Type.Object({ a: Type.String(), b: Type.String(), c: Type.String() })
  t.same(problemsOf(schema, {}), [
    { path: '/a', message: 'is required' },
    { path: '/b', message: 'is required' },
    { path: '/c', message: 'is required' }
  ])
  t.same(problemsOf(schema, {}, 2).map((problem) => problem.path), ['/a', '/b'])
  t.same(problemsOf(schema, { a: 'a', b: 'b', c: 'c' }), [])
})
