import t from 'tap'
import fc from 'fast-check'
import WebSocket from 'ws'
import { buildServer } from '../../examples/app'
import { callIds, mutatedEvent, validEvent } from '../fixtures/arbitraries'
import { actionProblem } from '../fixtures/protocol-statement'
import { connect, type Client } from '../fixtures/ws-client'

/*
 * Whatever a peer sends on the demo's WebSocket (garbage, binary, random
 * JSON, broken or valid events, alone or in arrays), the socket stays open,
 * every frame the server sends is a valid reply for a call that was sent,
 * and the socket still answers a new call afterwards.
 */

const frame = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  validEvent(callIds).map((event) => JSON.stringify(event)),
  mutatedEvent(callIds).map((event) => JSON.stringify(event) ?? 'undefined'),
  fc.array(fc.oneof(validEvent(callIds), mutatedEvent(callIds)), { maxLength: 4 }).map((events) => JSON.stringify(events))
)

/** Reads frames up to the reply for `id`, checking each one; returns what was wrong. */
async function until (client: Client, id: string, sent: Set<string>): Promise<string[]> {
  const problems: string[] = []
  for (;;) {
    const reply: unknown = await client.next()
    const actions = Array.isArray(reply) ? reply : [reply]
    // Judged by the protocol statement written from the documentation, not by the plugin's own schemas.
    const problem = actions.length === 0 ? 'an empty list of actions' : actions.map((action) => actionProblem(action)).find((found) => found !== undefined)
    if (problem !== undefined) problems.push(`not a valid reply (${problem}): ${JSON.stringify(reply)}`)
    for (const action of actions as Array<{ session_id?: string }>) {
      if (action.session_id === id) return problems
      if (!sent.has(String(action.session_id))) problems.push(`a frame for a call never sent: ${JSON.stringify(action)}`)
    }
  }
}

/** The session ids a frame carries, whatever shape it has. */
function idsIn (text: string | Buffer): string[] {
  if (typeof text !== 'string') return []
  try {
    const value: unknown = JSON.parse(text)
    return (Array.isArray(value) ? value : [value]).flatMap((item) => {
      const id = (item as { session?: { id?: unknown } } | null)?.session?.id
      return typeof id === 'string' ? [id] : []
    })
  } catch {
    return []
  }
}

t.test('any frames on the WebSocket: the socket stays, every frame sent back is a valid reply, a new call is answered', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const client = await connect(app, { path: '/ws' })
  t.teardown(() => client.close())
  const sent = new Set<string>()
  let sentinel = 0
  await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
    for (const payload of frames) {
      for (const id of idsIn(payload)) sent.add(id)
      client.socket.send(payload)
    }
    const id = `sentinel-${sentinel++}`
    client.send({ type: 'session_start', session: { id } })
    const problems = await until(client, id, sent)
    if (problems.length > 0) throw new Error(problems.join('\n'))
  }), { numRuns: 300 })
  t.equal(client.socket.readyState, WebSocket.OPEN, 'the socket is still open')
})
