import type { AiFlowAction } from '../protocol'
import type { Answer, Driver } from './driver'
import { WEBSOCKET_ONLY_EVENTS } from './events'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Drives a running server through its webhook, as the service does: one
 * POST per event, the reply read from the response. Time passes for real.
 * `user_speech_started` is refused: the service sends it over the WebSocket
 * only, so a webhook never answers it; drive the server by its `ws:` URL.
 *
 * @example
 * const call = new SimulatedCall(new HttpDriver('http://127.0.0.1:3000/webhook', { token }))
 */
export class HttpDriver implements Driver {
  readonly errors: Error[] = []
  readonly #url: string
  readonly #headers: Record<string, string>
  readonly #started = Date.now()

  constructor (url: string, { token }: { token?: string } = {}) {
    this.#url = url
    this.#headers = { 'content-type': 'application/json', ...(token !== undefined && { 'x-api-token': token }) }
  }

  async send (event: { type: string }): Promise<Answer> {
    if (WEBSOCKET_ONLY_EVENTS.has(event.type)) {
      throw new TypeError(`${event.type} comes over the WebSocket only: the service never posts it to a webhook. Simulate the call by the server's ws: URL to see what the flow answers`)
    }
    const response = await fetch(this.#url, { method: 'POST', headers: this.#headers, body: JSON.stringify(event) })
    const text = await response.text()
    if (response.status === 204) return { actions: [] }
    if (response.status !== 200) {
      const err = new Error(`POST ${this.#url} answered ${response.status}: ${text}`)
      this.errors.push(err)
      throw err
    }
    const body = JSON.parse(text) as AiFlowAction | AiFlowAction[]
    return { actions: Array.isArray(body) ? body : [body] }
  }

  /** Waits for real: the server's clock cannot be moved. Over the webhook nothing arrives meanwhile. */
  async wait (ms: number): Promise<Answer> {
    await sleep(ms)
    return { actions: [] }
  }

  now (): number {
    return Date.now() - this.#started
  }

  async close (): Promise<void> {}
}
