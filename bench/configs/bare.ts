import Fastify from 'fastify'
import { AiFlowEventSchema, formatProblems, validateEvent } from '../../lib'
import type { Running } from './running'

/**
 * The ceiling: a bare Fastify route with the same body schema, checked the
 * same way (TypeBox's compiled check, no coercion; Ajv refuses the schema's
 * repeated `$id`s), answering every event with one fixed action.
 */
export async function startBare (): Promise<Running> {
  const app = Fastify()
  app.post('/webhook', {
    schema: { body: AiFlowEventSchema },
    validatorCompiler: () => (body) => {
      const result = validateEvent(body)
      return result.ok ? { value: body } : { error: new Error(formatProblems(result.problems, 'body')) }
    }
  }, async (request) => {
    const { session } = request.body as { session: { id: string } }
    return { type: 'speak', session_id: session.id, text: 'Hello!' }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() }
}
