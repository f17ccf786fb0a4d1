import type { ConstructorAction, FastifyInstance, ProtoAction } from 'fastify'
import type {} from '@fastify/websocket'
import type { SessionRegistry } from '../sessions'
import { tokenCheck } from './token'
import { WebSocketConnection } from './websocket-connection'
import { watchedSocketCalls } from './socket-calls'
import { answerError } from './error-answer'
import type { UnknownEventTypes } from './unknown-types'

export interface WebSocketTransportOptions {
  path: string
  token: string | undefined
  maxPayload: number
  maxDepth: number
  maxBufferedBytes: number
  pingInterval: number
  registry: SessionRegistry
  unknownTypes: UnknownEventTypes
}

/**
 * The WebSocket transport: `GET <path>` upgraded. The token is checked
 * before the upgrade, so a wrong one gets a plain 401 and no socket. One
 * timer pings every open socket.
 */
export async function websocketTransport (app: FastifyInstance, options: WebSocketTransportOptions): Promise<void> {
  const { path, token, registry, maxPayload, maxDepth, maxBufferedBytes, pingInterval, unknownTypes } = options
  // The application's prototype-poisoning rules, which Fastify applies to the webhook's body.
  const onProtoPoisoning = app.initialConfig.onProtoPoisoning as ProtoAction
  const onConstructorPoisoning = app.initialConfig.onConstructorPoisoning as ConstructorAction
  app.setErrorHandler(answerError)
  const connections = new Set<WebSocketConnection>()
  const timer = setInterval(() => {
    for (const connection of connections) connection.heartbeat()
  }, pingInterval).unref()
  // A call ends wherever it ends: over HTTP, on another socket, by expiry.
  const { calls, unwatch } = watchedSocketCalls<WebSocketConnection>(registry)
  app.addHook('onClose', async () => {
    clearInterval(timer)
    unwatch()
  })

  app.get(path, {
    websocket: true,
    onRequest: token === undefined ? undefined : tokenCheck(token)
  }, function aiFlowSocket (socket, request) {
    const log = request.log.child({ transport: 'websocket' })
    const connection = new WebSocketConnection(socket, {
      registry, calls, log, maxPayload, maxDepth, maxBufferedBytes, pingInterval, onProtoPoisoning, onConstructorPoisoning, unknownTypes
    })
    connections.add(connection)
    socket.on('close', () => connections.delete(connection))
    log.info({ liveSockets: connections.size }, 'WebSocket opened')
  })
}
