import type { ConstructorAction, FastifyInstance, FastifySchemaCompiler, ProtoAction } from 'fastify'
import { AiFlowEventSchema, SILENT_EVENTS, formatProblems, validateEvent, type Session } from '../protocol'
import { InvalidEventError } from '../errors'
import type { SessionRegistry } from '../sessions'
import { tokenCheck } from './token'
import { answerError } from './error-answer'
import { nestsDeeperThan, tooDeep } from './json-depth'
import type { UnknownEventTypes } from './unknown-types'

export interface HttpTransportOptions {
  path: string
  token: string | undefined
  bodyLimit: number
  maxDepth: number
  registry: SessionRegistry
  unknownTypes: UnknownEventTypes
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
export async function httpTransport (app: FastifyInstance, { path, token, bodyLimit, maxDepth, registry, unknownTypes }: HttpTransportOptions): Promise<void> {
  app.setErrorHandler(answerError)
  // Fastify's own JSON parser, with its prototype-poisoning checks, once the depth is known to be safe.
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning as ProtoAction, onConstructorPoisoning as ConstructorAction)
  app.addContentTypeParser('application/json', { parseAs: 'string' }, function parseEvent (request, body, done) {
    if (nestsDeeperThan(body as string, maxDepth)) done(new InvalidEventError(`body ${tooDeep(maxDepth)}`), undefined)
    else parseJson(request, body as string, done)
  })
  app.post(path, {
    bodyLimit,
    onRequest: token === undefined ? undefined : tokenCheck(token),
    schema: { body: AiFlowEventSchema },
    validatorCompiler: eventValidator
  }, async function webhook (request, reply) {
    const event = request.body as { type: string, session: Session }
    unknownTypes.note(event.type, request.log)
    // The registry names the call in what it logs: no child logger on every event's path.
    const actions = await registry.dispatch(event, { log: request.log, replyable: !SILENT_EVENTS.has(event.type), request })
    if (actions.length === 0) return reply.code(204).send()
    return actions.length === 1 ? actions[0] : actions
  })
}
