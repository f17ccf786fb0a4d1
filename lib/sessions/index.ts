/*
 * The session engine: one actor per call, and the call's record between
 * its events. Every change to a call is a turn of that call: the turn of
 * an event (`CallTurns#event`), or the turn without one that applies a
 * delay that came due or work that ended (`CallTurns#settle`), each read
 * top to bottom in call-turns.ts; the registry holds the calls and lines
 * their turns up:
 *
 * 1. Take the call's place in line, as the event arrives (with a shared
 *    store, a ticket for the call's lock too): the call's turns run one at
 *    a time, in arrival order, on any instance (call-tasks.ts, call-lock.ts).
 * 2. Load the call's record, once the lock is ours (call-records.ts and its
 *    three store modes: in-process, remote, shared).
 * 3. Restore the call from its record, or start it: its delays are armed
 *    again for the time they have left, and its work stays with the
 *    instance that runs it (actor-host.ts, xstate-adapter.ts, work-runner.ts).
 * 4. Deliver what is due first (delays, ended work, from the call's inbox),
 *    then the event; what the flow emits is collected as the turn's reply.
 * 5. Wait for the promise work the event started, up to `replyTimeout`.
 * 6. Save: the record, its delays and its work, before anything leaves
 *    (with a shared store, in the round trip that frees the lock); the new
 *    revision is the call's only once written.
 * 7. Release the lock, and return the reply (or push it to the call's socket).
 *
 * Between turns, a call's delays fire through its own clock, and its work
 * ends through the work runner: each puts an input in the call's inbox and
 * asks for a turn. Parked calls, and calls whose instance is gone, are
 * woken when they are due (due-calls.ts; with a shared store, by polling it).
 */
export { SessionRegistry, type RegistryOptions, type DispatchOptions, type CallWatcher } from './registry'
export type { ActionSink } from './call'
export type { SessionStore, SessionRecord, LockedRecord, LockOptions, LockChange } from '../stores/store'
export { callView, type CallView } from './call-view'
export type { Logger } from './logger'
export type { CallTurn } from './call-turn'
export type { ToolCallNews, ToolWatcher } from './agent-turns'
export type { Clock } from './xstate-adapter'
export type { TimerRecord, WorkRecord, WorkLeases } from '../stores/store'
export type { CallStatus } from './call'
