import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { LiveViewUnauthorizedError } from '../errors'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * Checks `Authorization: Bearer <token>`, the live view's own token. A
 * header rather than the query string, so that the token never appears in
 * request logs; hashed first, so the comparison takes the same time whatever
 * was sent.
 */
export function bearerCheck (token: string): onRequestHookHandler {
  const expected = digest(token)
  return function checkBearer (request, reply, done) {
    const [scheme, given] = (request.headers.authorization ?? '').split(' ')
    if (scheme.toLowerCase() === 'bearer' && given !== undefined && timingSafeEqual(digest(given), expected)) {
      done()
      return
    }
    request.log.warn({ tokenSent: given !== undefined }, 'refused a live view request with a missing or wrong token')
    done(new LiveViewUnauthorizedError())
  }
}
