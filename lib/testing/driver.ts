import type { AiFlowAction } from '../protocol'

/** What a driver gets back for one event, or for time passing. */
export interface Answer {
  /** The actions, as on the wire. */
  actions: AiFlowAction[]
  /** The flow's state value, when the driver can see it. */
  state?: unknown
}

/**
 * How a simulated call reaches its flow: directly, or through a running
 * server. One driver serves one call.
 */
export interface Driver {
  /** Sends one event and resolves with the reply. */
  send (event: { type: string, session: { id: string } }): Promise<Answer>
  /** Lets `ms` pass; resolves with what the flow emitted meanwhile. */
  wait (ms: number, sessionId: string): Promise<Answer>
  /** Milliseconds since the driver was made, on the clock the flow sees. */
  now (): number
  /** Errors the flow or the server reported. */
  readonly errors: Error[]
  close (): Promise<void>
}
