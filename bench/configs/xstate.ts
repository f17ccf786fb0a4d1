import Fastify from 'fastify'
import { createActor, type AnyActor } from 'xstate'
import { AiFlowEventSchema, formatProblems, validateEvent, type FlowAction } from '../../lib'
import { demoFlow } from '../../examples/demo-flow'
import type { Running } from './running'

interface Held {
  actor: AnyActor
  emitted: unknown[]
}

/**
 * The floor under any plugin that runs the demo flow as one XState actor
 * per call: the bare route of (a), with an actor per call that takes each
 * event and whose emitted actions are the reply. No queue, no store, no
 * check of what the flow emits, no wait for work, no fallback: only what
 * XState itself costs.
 */
export async function startXState (): Promise<Running> {
  const app = Fastify()
  const calls = new Map<string, Held>()
  app.post('/webhook', {
    schema: { body: AiFlowEventSchema },
    validatorCompiler: () => (body) => {
      const result = validateEvent(body)
      return result.ok ? { value: body } : { error: new Error(formatProblems(result.problems, 'body')) }
    }
  }, async (request, reply) => {
    const event = request.body as { type: string, session: { id: string } }
    const id = event.session.id
    let held = calls.get(id)
    if (held === undefined) {
      const emitted: unknown[] = []
      const actor = createActor(demoFlow, { id, input: { session: event.session as never } })
      actor.on('*', ({ type, ...fields }: FlowAction) => emitted.push({ type, session_id: id, ...fields }))
      held = { actor: actor.start(), emitted }
      calls.set(id, held)
    }
    held.actor.send(event)
    if (event.type === 'session_end') {
      held.actor.stop()
      calls.delete(id)
    }
    const actions = held.emitted.splice(0)
    if (actions.length === 0) return reply.code(204).send()
    return actions.length === 1 ? actions[0] : actions
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() }
}
