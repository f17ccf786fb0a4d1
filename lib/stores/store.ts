import type { AiFlowAction, Session } from '../protocol'

/*
 * The contract between the session engine (lib/sessions) and the stores
 * that keep its calls: the engine knows only this file, and every store
 * implements it from this folder (or from an application's own code).
 */

/** A delayed event of a call's actor tree, as its record keeps it. */
export interface TimerRecord {
  /** XState's id of the scheduled event, unique for its source actor. */
  id: string
  /** The actor that scheduled it: the ids from the call's root actor down, joined by `/` ('' is the root). */
  source: string
  /** The actor it is sent to, named the same way. */
  target: string
  event: { type: string, [key: string]: unknown }
  /** When it is due, in ms on the registry's clock (Unix time unless a test clock runs the flow). */
  dueAt: number
}

/** A piece of promise work running for a call, as the call's record keeps it. */
export interface WorkRecord {
  /** Its idempotency key: the call, the revision its start was saved with, and its invocation's path. */
  key: string
  /** Its invocation's place in the call's actor tree: the ids from the root down, joined by `/`. */
  path: string
  /** The instance that runs it. */
  owner: string
}

/**
 * What is kept of one call between its events. Everything in it is plain
 * JSON, so that a store may keep it anywhere.
 */
export interface SessionRecord {
  /** The version of the flow the call was started with. */
  version: string
  /** The flow actor's `getPersistedSnapshot()`. */
  snapshot: unknown
  /**
   * Every delayed event pending in the call's actor tree (`after`, delayed
   * `raise` and `sendTo`), with its absolute due time: XState's snapshot
   * keeps none. Missing in records written before timers were kept.
   */
  timers?: TimerRecord[]
  /**
   * The promise work running for the call, each with its key and the
   * instance that runs it: a copy restored elsewhere meanwhile does not run
   * it again while that instance lives.
   */
  work?: WorkRecord[]
  /** Actions the flow emitted after their reply had gone: they lead the next reply. */
  pending: AiFlowAction[]
  /** The session of the event that opened the call. */
  session: Session
  /** The flow failed; the call gets no more replies. */
  failed: boolean
  /** Grows with every save, so that a cached actor is used only while it is current. */
  revision: number
  /**
   * Drawn when the call began: a call begun again under the same id (after
   * its session_end) has another, so that a copy of the call that ended
   * never passes for the new one at the same revision. Missing in records
   * written before it was kept.
   */
  incarnation?: number
  /** Unix time in ms. */
  startedAt: number
  /** Unix time in ms of the last event. */
  updatedAt: number
}

/** What a shared store hands over with a call's lock. */
export interface LockedRecord {
  /** The call's record, or undefined for a call the store does not hold. */
  record: SessionRecord | undefined
  /** Proves the lock when releasing it: a release with a token that lost the lock writes nothing. */
  token: string
}

export interface LockOptions {
  /** Give up after this many ms in line: the event is answered 503. */
  wait: number
  /** The lock frees itself this many ms after it was taken, should its holder die. */
  lease: number
  /** Called whenever a later event of the call lines up behind this one, on any instance. */
  onContention: () => void
}

/**
 * Which calls an instance runs work for, with its announcement: each is
 * held until `until` (ms on the registry's clock), when `dueCalls` lists
 * it unless the instance has leased it again. `released` are calls it no
 * longer runs work for.
 */
export interface WorkLeases {
  calls: readonly string[]
  until: number
  released: readonly string[]
}

/**
 * What releasing a lock writes: the record, or the call's deletion. With
 * the record comes when its first delay is due, if it has one, for
 * `dueCalls`.
 */
export type LockChange = { set: SessionRecord, ttl: number, due?: number } | { delete: true }

/**
 * What the live views of several instances share, through their store: the
 * latest view of each call (opaque text, with the record's revision), its
 * transcript lines, and messages to every instance. Kept per call for the
 * `ttl` given, and bounded: a store keeps a call's latest lines only, and
 * the most recently changed calls only.
 */
export interface LiveBoard {
  /**
   * Keeps the call's `view` unless the board holds one of a later
   * `revision`, adds its transcript `lines` (each ordered by its number),
   * keeps both `ttl` ms, and publishes `message` to every instance; a view
   * kept back is not published.
   */
  put (id: string, change: LiveChange, ttl: number, message: string): Promise<void>
  /** Forgets the call, and publishes `message` to every instance. */
  end (id: string, message: string): Promise<void>
  /** The views of the most recently changed calls, at most `limit`, the latest first. */
  views (limit: number): Promise<string[]>
  /** The call's transcript lines, in their order. */
  lines (id: string): Promise<string[]>
  /** Calls `listener` with every message published by any instance (this one too); returns what stops it. */
  listen (listener: (message: string) => void): () => void
}

/** What one `LiveBoard.put` writes: a view, lines, or both. */
export interface LiveChange {
  view?: { text: string, revision: number }
  lines?: Array<{ order: number, text: string }>
}

/**
 * Where calls are kept between events. Every method may be asynchronous and
 * remote; what `get` returns is treated as untrusted and checked before use.
 *
 * @example
 * app.register(fastifyAiFlow, { flow, store: new MemoryStore() })
 */
export interface SessionStore {
  /**
   * The records are in this process's memory (`MemoryStore`): a live actor
   * holds all its record would, and a crash loses both, so the engine writes
   * a record only to park its call, and reads it (then deletes it) only to
   * bring the call back.
   */
  readonly inProcess?: boolean
  get (id: string): Promise<SessionRecord | undefined>
  /** Saves a record that expires after `ttl` ms without another save. */
  set (id: string, record: SessionRecord, ttl: number): Promise<void>
  delete (id: string): Promise<void>
  /** Releases what the store holds; called when Fastify closes. */
  close? (): Promise<void>
  /**
   * For stores that several instances share: lines the event up for the
   * call's lock, and resolves with the lock and the record once it is the
   * event's turn. Places in line must be taken in the order `lock` is
   * called (the event's arrival), not when the event's turn comes on this
   * instance. Rejects when `wait` runs out.
   */
  lock? (id: string, options: LockOptions): Promise<LockedRecord>
  /**
   * With `lock`: writes `change`, if any, and releases the lock, at once.
   * Resolves false, having written nothing, when the token no longer holds
   * the lock (its lease ran out and another event took it).
   */
  unlock? (id: string, token: string, change?: LockChange): Promise<boolean>
  /**
   * With `unlock`: whether the `unlock` of `token` that wrote the call's
   * record, and whose answer was lost (the connection dropped, the command
   * timed out), was done. Resolves true when it was, false when it was not
   * (when `token` still holds the lock, it is released, as that `unlock`
   * would have, writing nothing), and undefined when the store can no
   * longer tell. Rejects while the store does not answer. Asked only after
   * an `unlock` that failed, so that an event whose state was kept is not
   * answered 503.
   */
  checkWrite? (id: string, token: string): Promise<boolean | undefined>
  /**
   * With `lock`: extends the lease of a lock that `token` still holds, so
   * that a lease can be short and still outlast a long turn of a live
   * holder. Resolves false when the token no longer holds the lock.
   */
  renew? (id: string, token: string, lease: number): Promise<boolean>
  /**
   * With `lock`: the ids of calls whose first delay was due at `until` or
   * before (as `unlock` was told), at most `limit` of them, and (taken out
   * of their index as they are listed, so that one instance looks) those
   * whose work lease (`announce`) ran out at `until` or before. Every
   * instance asks a few times a second, so that a delay fires, and work
   * runs again, even when the instance that armed or ran it is gone.
   */
  dueCalls? (until: number, limit: number): Promise<string[]>
  /**
   * With `lock`: tells the other instances that `instance` lives, for `ttl`
   * ms. Every instance says so four times a second while it runs, and with
   * it (`leases`) which calls it runs work for: should it die, `dueCalls`
   * lists those calls once their lease has run out.
   */
  announce? (instance: string, ttl: number, leases?: WorkLeases): Promise<void>
  /** With `announce`: those of `instances` that have said they live and not yet lapsed. */
  present? (instances: string[]): Promise<string[]>
  /**
   * With `announce`: `instance` is gone (it closed). `present` no longer
   * lists it, and `calls`, whose work it ran, are due at once, so that
   * another instance runs that work again without waiting for any lapse.
   */
  withdraw? (instance: string, calls: readonly string[]): Promise<void>
  /**
   * With `lock`: calls `listener` with the id of each call an `unlock`
   * deleted, on any instance, whether or not the store had its record (an
   * instance may hold a call none of whose events was kept), so that every
   * instance lets go of the call at once. Returns what stops it. A message lost costs time, not
   * correctness: a call held here and ended elsewhere is found gone at its
   * next turn, or let go of after `sessionTtl`.
   */
  onEnded? (listener: (id: string) => void): () => void
  /**
   * For stores that several instances share: the board through which the
   * live view of every instance shows the calls of all. Asked for only by
   * an instance that serves a live view; a store without it has a live view
   * of the calls each instance holds.
   */
  liveBoard? (): LiveBoard
}
