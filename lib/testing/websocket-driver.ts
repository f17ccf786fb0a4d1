import { WebSocket, type RawData } from 'ws'
import type { AiFlowAction } from '../protocol'
import type { Answer, Driver } from './driver'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface WebSocketDriverOptions {
  /** Sent in `X-API-TOKEN` on the upgrade request. */
  token?: string
  /**
   * Frames carry no request id, so the reply to an event is what arrives
   * until the socket has been quiet for this many ms. Default 100.
   */
  settle?: number
}

/**
 * Drives a running server through its WebSocket, as the service does: one
 * socket, one JSON text frame per event, actions read from the frames the
 * server sends. What arrives between two moves leads the next answer.
 *
 * @example
 * const call = new SimulatedCall(new WebSocketDriver('ws://127.0.0.1:3000/ws', { token }))
 */
export class WebSocketDriver implements Driver {
  readonly errors: Error[] = []
  readonly #socket: WebSocket
  readonly #open: Promise<void>
  readonly #settle: number
  readonly #started = Date.now()
  #inbox: AiFlowAction[] = []
  #lastFrame = 0

  constructor (url: string, { token, settle = 100 }: WebSocketDriverOptions = {}) {
    this.#settle = settle
    this.#socket = new WebSocket(url, { headers: token === undefined ? {} : { 'x-api-token': token } })
    this.#open = new Promise((resolve, reject) => {
      this.#socket.once('open', () => resolve())
      this.#socket.once('error', (err) => reject(this.#failed(new Error(`WebSocket ${url}: ${err.message}`))))
    })
    // A socket that never opens is reported by the first move, not as an unhandled rejection.
    this.#open.catch(() => {})
    this.#socket.on('message', (data) => this.#receive(data))
  }

  async send (event: { type: string }): Promise<Answer> {
    await this.#open
    this.#socket.send(JSON.stringify(event))
    await this.#quiet()
    return { actions: this.#take() }
  }

  /** Waits for real; what the server pushes meanwhile is the answer. */
  async wait (ms: number): Promise<Answer> {
    await sleep(ms)
    return { actions: this.#take() }
  }

  now (): number {
    return Date.now() - this.#started
  }

  async close (): Promise<void> {
    if (this.#socket.readyState === WebSocket.CLOSED) return
    const closed = new Promise((resolve) => this.#socket.once('close', resolve))
    this.#socket.close()
    await closed
  }

  #receive (data: RawData): void {
    this.#lastFrame = Date.now()
    let frame: unknown
    try {
      frame = JSON.parse(String(data))
    } catch {
      this.#failed(new Error(`the server sent a frame that is not JSON: ${String(data).slice(0, 100)}`))
      return
    }
    this.#inbox.push(...(Array.isArray(frame) ? frame : [frame]) as AiFlowAction[])
  }

  /** Resolves once no frame has come for `settle` ms. */
  async #quiet (): Promise<void> {
    const sent = Date.now()
    for (;;) {
      const since = Date.now() - Math.max(sent, this.#lastFrame)
      if (since >= this.#settle) return
      await sleep(this.#settle - since)
    }
  }

  #take (): AiFlowAction[] {
    const actions = this.#inbox
    this.#inbox = []
    return actions
  }

  #failed (err: Error): Error {
    this.errors.push(err)
    return err
  }
}
