import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/** The status an error answers with: its own when it is an HTTP error status, else 500. */
function statusOf (err: FastifyError): number {
  const status = err.statusCode
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500
}

/**
 * How the plugin's routes answer an error, in Fastify's shape
 * (`statusCode`, `code`, `error`, `message`). A 4xx is the caller's doing:
 * logged at info without a stack, and its message says what to fix. A 5xx
 * is ours: logged at error with its stack, and answered with the status's
 * name and the error's code only, because its message may tell internals
 * (a store's address, why a flow failed) to whoever called.
 */
export function answerError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const statusCode = statusOf(err)
  const error = STATUS_CODES[statusCode] as string
  const code = typeof err.code === 'string' ? err.code : undefined
  if (statusCode < 500) {
    request.log.info({ statusCode, code }, `refused: ${err.message}`)
    return reply.code(statusCode).send({ statusCode, code, error, message: err.message })
  }
  request.log.error({ err }, err.message)
  return reply.code(statusCode).send({ statusCode, code, error, message: error })
}
