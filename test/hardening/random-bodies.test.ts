import t from 'tap'
import fc from 'fast-check'
import { buildServer } from '../../examples/app'
import { postRaw } from '../fixtures/reply-check'

/*
 * Whatever arrives on the webhook, from a broken peer or anyone who finds the
 * URL, gets a 4xx that says what is wrong, and the server carries on.
 */

async function stillAnswers (app: ReturnType<typeof buildServer>): Promise<boolean> {
  const reply = await postRaw(app, { type: 'session_start', session: { id: 'after-the-storm' } })
  return reply.status === 200
}

function clientError (what: string, reply: { status: number, body: string }): void {
  if (reply.status < 400 || reply.status >= 500) throw new Error(`${what.slice(0, 300)}: status ${reply.status}`)
  const body = JSON.parse(reply.body) as { message?: unknown }
  if (typeof body.message !== 'string' || body.message === '') throw new Error(`${what.slice(0, 300)}: no message`)
}

t.test('random JSON values get a 4xx with a message', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  await fc.assert(fc.asyncProperty(fc.jsonValue(), async (value) => {
    const json = JSON.stringify(value)
    clientError(json, await postRaw(app, json))
  }), { numRuns: 1000 })
  t.ok(await stillAnswers(app))
})

t.test('random text and bytes sent as JSON get a 4xx with a message', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const bodies = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.eE+-tfnul\\ \n') }),
    fc.json().map((json) => json.slice(0, -1)),
    fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n)),
    fc.integer({ min: 1, max: 5000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n))
  )
  await fc.assert(fc.asyncProperty(bodies, async (body) => {
    const reply = await postRaw(app, body)
    // A deeply nested body is valid JSON: it is refused by the schema, still with a 4xx.
    clientError(body, reply)
  }), { numRuns: 1000 })
  t.ok(await stillAnswers(app))
})

t.test('other content types and charsets get a 4xx with a message', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const types = fc.oneof(
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/json; charset=utf-16', 'application/jsonx', 'application/octet-stream'),
    fc.string({ unit: fc.constantFrom(...'abcjson/;=+- '), minLength: 1, maxLength: 30 }).filter((type) => !/^\s*application\/json\s*(;|$)/i.test(type))
  )
  await fc.assert(fc.asyncProperty(types, fc.string(), async (contentType, body) => {
    clientError(`${contentType}: ${body}`, await postRaw(app, body, contentType))
  }), { numRuns: 300 })
  t.ok(await stillAnswers(app))
})

t.test('a body over the limit gets 413, whatever it holds', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const big = { type: 'user_speak', session: { id: 'big' }, text: 'x'.repeat(70_000) }
  const reply = await postRaw(app, big)
  t.equal(reply.status, 413)
  t.ok(await stillAnswers(app))
})
