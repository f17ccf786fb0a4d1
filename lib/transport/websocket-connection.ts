import type { RawData, WebSocket } from 'ws'
import { PingTimeoutError, SendBufferFullError } from '../errors'
import type { ActionSink, Logger, SessionRegistry } from '../sessions'
import { readFrame, type FrameEvent, type FrameLimits } from './frames'
import type { SocketCalls } from './socket-calls'
import type { UnknownEventTypes } from './unknown-types'

export interface ConnectionOptions extends FrameLimits {
  registry: SessionRegistry
  /** Shared by every socket of the transport. */
  calls: SocketCalls<WebSocketConnection>
  log: Logger
  maxBufferedBytes: number
  pingInterval: number
  unknownTypes: UnknownEventTypes
}

/** Close codes this transport sends. */
const CLOSE_SEND_BUFFER_FULL = 1008

/**
 * One socket from the service. Every frame is routed by its `session.id`,
 * so one socket may carry any number of calls. The socket is the sink of
 * each call whose latest event it carried; when it closes, those calls stay,
 * and what their flows emit meanwhile waits for their next event.
 */
export class WebSocketConnection {
  readonly #socket: WebSocket
  readonly #options: ConnectionOptions
  readonly #log: Logger
  readonly #calls: SocketCalls<WebSocketConnection>
  #alive = true

  constructor (socket: WebSocket, options: ConnectionOptions) {
    this.#socket = socket
    this.#options = options
    this.#log = options.log
    this.#calls = options.calls
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary))
    socket.on('pong', () => { this.#alive = true })
    socket.on('close', (code, reason) => this.#closed(code, reason.toString()))
  }

  /** Sends a call's actions: one object, or an array when several leave together. */
  readonly sink: ActionSink = (actions) => {
    if (this.#socket.readyState !== this.#socket.OPEN) return false
    const buffered = this.#socket.bufferedAmount
    if (buffered > this.#options.maxBufferedBytes) {
      const err = new SendBufferFullError(buffered, this.#options.maxBufferedBytes)
      this.#log.error({ err, calls: this.#calls.count(this) }, 'the peer stopped reading; closing the WebSocket')
      this.#close()
      this.#socket.close(CLOSE_SEND_BUFFER_FULL, 'send buffer full')
      return false
    }
    this.#socket.send(JSON.stringify(actions.length === 1 ? actions[0] : actions))
    return true
  }

  /** Called every ping interval: a peer that did not answer the last ping is gone. */
  heartbeat (): void {
    if (this.#alive) {
      this.#alive = false
      this.#socket.ping()
      return
    }
    const err = new PingTimeoutError(this.#options.pingInterval)
    this.#log.warn({ err, calls: this.#calls.count(this) }, 'the peer did not answer a ping; terminating the WebSocket')
    this.#close()
    this.#socket.terminate()
  }

  #receive (data: RawData, isBinary: boolean): void {
    const { events, errors } = readFrame(data as Buffer, isBinary, this.#options)
    for (const err of errors) this.#log.warn({ err }, 'ignored an invalid WebSocket frame')
    for (const event of events) this.#dispatch(event)
  }

  #dispatch (event: FrameEvent): void {
    const id = event.session.id
    this.#options.unknownTypes.note(event.type, this.#log)
    try {
      this.#options.registry.dispatch(event, { log: this.#log, sink: this.sink, transport: 'websocket' })
        .catch((err: unknown) => this.#log.error({ err, sessionId: id, event: event.type }, 'the event could not be handled'))
    } catch (err) {
      // The registry refuses a new call synchronously when the live-call limit is reached; it has logged why.
      this.#log.warn({ err, sessionId: id, event: event.type }, 'the event was refused')
      return
    }
    // Ended, the call leaves its socket when the registry says it has ended (an unknown call never does).
    if (event.type !== 'session_end') this.#calls.carried(id, this)
  }

  /** Lets go of this socket's calls: what their flows emit now waits for their next event. */
  #close (): void {
    for (const id of this.#calls.closed(this)) this.#options.registry.release(id, this.sink)
  }

  #closed (code: number, reason: string): void {
    this.#log.info({ code, reason, calls: this.#calls.count(this) }, 'WebSocket closed; its calls wait for their next event')
    this.#close()
  }
}
