import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { UnauthorizedError } from '../errors'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * An `onRequest` hook that checks `X-API-TOKEN` before the body is read.
 * Both sides are hashed first, so the comparison takes the same time
 * whatever the length or content of what was sent.
 */
export function tokenCheck (token: string): onRequestHookHandler {
  const expected = digest(token)
  return function checkToken (request, reply, done) {
    const given = request.headers['x-api-token']
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) {
      done()
      return
    }
    request.log.warn({ tokenSent: given !== undefined }, 'refused a request with a missing or wrong X-API-TOKEN')
    done(new UnauthorizedError())
  }
}
