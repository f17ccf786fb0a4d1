import type { AiFlowAction, Session } from '../protocol'

/**
 * What is kept of one call between its events. Everything in it is plain
 * JSON, so that a store may keep it anywhere.
 */
export interface SessionRecord {
  /** The version of the flow the call was started with. */
  version: string
  /** The flow actor's `getPersistedSnapshot()`. */
  snapshot: unknown
  /** Actions the flow emitted after their reply had gone: they lead the next reply. */
  pending: AiFlowAction[]
  /** The session of the event that opened the call. */
  session: Session
  /** The flow failed; the call gets no more replies. */
  failed: boolean
  /** Grows with every save, so that a cached actor is used only while it is current. */
  revision: number
  /** Unix time in ms. */
  startedAt: number
  /** Unix time in ms of the last event. */
  updatedAt: number
}

/**
 * Where calls are kept between events. Every method may be asynchronous and
 * remote; what `get` returns is treated as untrusted and checked before use.
 *
 * @example
 * app.register(fastifyAiFlow, { flow, store: new MemoryStore() })
 */
export interface SessionStore {
  get (id: string): Promise<SessionRecord | undefined>
  /** Saves a record that expires after `ttl` ms without another save. */
  set (id: string, record: SessionRecord, ttl: number): Promise<void>
  delete (id: string): Promise<void>
  /** Releases what the store holds; called when Fastify closes. */
  close? (): Promise<void>
}
