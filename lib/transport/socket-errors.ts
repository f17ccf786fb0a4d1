import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { InvalidFrameError } from '../errors'

/** What `ws` raised: its protocol errors carry a `WS_ERR_…` code. */
type SocketError = Error & { code?: string }

/**
 * `@fastify/websocket`'s `errorHandler` when this plugin registers it. A
 * frame `ws` refuses itself (over `maxPayload`, bad UTF-8, a bad opcode) is
 * the peer's mistake, logged like every other bad frame: a warning with
 * `FST_AIFLOW_INVALID_FRAME`. `ws` has already closed that socket with the
 * matching close code (1009 for a frame over `maxPayload`). Any other error
 * on a socket (an unclean disconnect) is logged with it, and the socket
 * terminated, as the default handler does.
 */
export function socketErrorHandler (maxPayload: number) {
  return function onSocketError (error: SocketError, socket: WebSocket, request: FastifyRequest): void {
    const log = request.log.child({ transport: 'websocket' })
    if (error.code?.startsWith('WS_ERR_') === true) {
      const why = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? `over the limit of ${maxPayload} bytes (websocket.maxPayload); the socket is closed with 1009`
        : `${error.message}; the socket is closed`
      log.warn({ err: new InvalidFrameError(why) }, 'ignored an invalid WebSocket frame')
      return
    }
    log.warn({ err: error }, 'WebSocket error; terminating the socket')
    socket.terminate()
  }
}
