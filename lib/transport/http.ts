import type { FastifyInstance, FastifySchemaCompiler } from 'fastify'
import { AiFlowEventSchema, SILENT_EVENTS, formatProblems, validateEvent, type Session } from '../protocol'
import { InvalidEventError } from '../errors'
import type { SessionRegistry } from '../sessions'
import { tokenCheck } from './token'

export interface HttpTransportOptions {
  path: string
  token: string | undefined
  bodyLimit: number
  registry: SessionRegistry
}

/**
 * Validates the body against the event schemas, without coercing anything:
 * `"digit": 1` is a 400, never silently `"1"`.
 */
const eventValidator: FastifySchemaCompiler<unknown> = () => (body) => {
  const result = validateEvent(body)
  return result.ok ? { value: body } : { error: new InvalidEventError(formatProblems(result.problems, 'body')) }
}

/** The webhook: `POST <path>`, one event in, 204 or the flow's actions out. */
export async function httpTransport (app: FastifyInstance, { path, token, bodyLimit, registry }: HttpTransportOptions): Promise<void> {
  app.post(path, {
    bodyLimit,
    onRequest: token === undefined ? undefined : tokenCheck(token),
    schema: { body: AiFlowEventSchema },
    validatorCompiler: eventValidator
  }, async function webhook (request, reply) {
    const event = request.body as { type: string, session: Session }
    // The registry names the call in what it logs: no child logger on every event's path.
    const actions = await registry.dispatch(event, { log: request.log, replyable: !SILENT_EVENTS.has(event.type), request })
    if (actions.length === 0) return reply.code(204).send()
    return actions.length === 1 ? actions[0] : actions
  })
}
