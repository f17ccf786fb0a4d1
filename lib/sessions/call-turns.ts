import type { AnyActorRef } from 'xstate'
import type { AiFlowAction } from '../protocol'
import { FlowError } from '../errors'
import type { EventTurn } from '../telemetry'
import type { SessionRecord } from '../stores/store'
import type { ActorHost, Clock } from './actor-host'
import { noop, type ActionSink, type Call } from './call'
import type { Claim } from './call-lock'
import type { CallRecords } from './call-records'
import type { LocalDueCalls } from './due-calls'
import type { LiveActors } from './live-actors'
import type { Logger } from './logger'
import { livingOwners, type Present } from './living-owners'
import { storeCall } from './record-io'
import type { IncomingEvent, RegistryOptions } from './registry-options'
import type { WorkRunner } from './work-runner'
import { pendingTimers } from './xstate-adapter'

/** How long a turn without an event that failed (a store blip) waits before it is tried again, in ms. */
const SETTLE_RETRY = 1000

/** What an event's turn is given: the event, and where its reply goes. */
export interface EventInput {
  event: IncomingEvent
  log: Logger
  /** False when the transport cannot carry a reply: what the flow emits waits for the next one. */
  replyable: boolean
  sink?: ActionSink
  /** The event's telemetry, while it is on. */
  traced?: EventTurn
}

/** What the turns need of the registry that holds the calls. */
export interface CallHolder {
  /** An event came: the call is the most recently active. */
  touched (call: Call): void
  /** The call is let go of here: it ended, or is gone from its store. */
  letGo (call: Call): void
  /** The call ended with events queued behind it: the next of them begins a new one on the same object. */
  restart (call: Call): void
  /** The call's state was kept. */
  changed (call: Call): void
  /** Queues a turn without an event for the call, if it is still held here. */
  settleLater (call: Call): void
  /** Whether the call is still held here: not let go of since, nor another object in its place. */
  holds (call: Call): boolean
}

export interface CallTurnsOptions {
  options: RegistryOptions
  records: CallRecords
  host: ActorHost
  work: WorkRunner
  due: LocalDueCalls
  live: LiveActors
  clock: Clock
  holder: CallHolder
  /** With a shared store that knows who lives: which of some instances do. */
  present?: Present
  /** The flows have agent states, whose turns' first sentences are measured as replies carry them. */
  agents?: boolean
}

/**
 * The two kinds of turn of a call, each top to bottom: the turn of an
 * event, and the turn without one that applies what happened to the call
 * since (a delay came due, work ended). Both run in the call's line, and
 * (with a shared store) under its lock, which the registry lined up for.
 */
export class CallTurns {
  readonly #options: RegistryOptions
  readonly #records: CallRecords
  readonly #host: ActorHost
  readonly #work: WorkRunner
  readonly #due: LocalDueCalls
  readonly #live: LiveActors
  readonly #clock: Clock
  readonly #holder: CallHolder
  readonly #present: Present | undefined
  readonly #agents: boolean
  /** The timers of turns without an event waiting to be tried again. */
  readonly #retries = new Set<unknown>()
  /** The registry is closing: a turn that fails now is not tried again. */
  #stopped = false

  constructor ({ options, records, host, work, due, live, clock, holder, present, agents = false }: CallTurnsOptions) {
    this.#options = options
    this.#records = records
    this.#host = host
    this.#work = work
    this.#due = due
    this.#live = live
    this.#clock = clock
    this.#holder = holder
    this.#present = present
    this.#agents = agents
  }

  /** The turn of one event: restore the call, deliver what is due and then the event, wait for its work, save, reply. */
  async event (call: Call, claim: Claim | undefined, { event, log, replyable, sink, traced }: EventInput): Promise<AiFlowAction[]> {
    // Most events of a live call in an in-process store have nothing to wait for here: no promise is made.
    const loading = this.#records.load(call, claim)
    const record = loading instanceof Promise ? await loading : loading
    const renewal = this.#records.keepLock(call)
    try {
      call.touched(Date.now(), sink)
      this.#holder.touched(call)
      traced?.begin()
      if (event.type === 'session_end') return await this.#end(call, event, record, log)
      call.openReply(true)
      const restoring = this.#restore(call, record, log)
      const known = restoring instanceof Promise ? await restoring : restoring
      this.#host.applyInbox(call)
      traced?.delivering(call.actor?.getSnapshot().value, call.version ?? this.#options.flowVersion)
      const waiting = call.actor === undefined ? undefined : this.#host.deliver(call, event, known)
      const deadlineHit = waiting !== undefined && await waiting
      traced?.waited(deadlineHit)
      let reply = call.closeReply()
      if (call.sink === undefined && !replyable && reply.length > 0) {
        call.holdForNextReply(reply)
        reply = []
      }
      // Save before anything leaves: an event is answered only once its state is kept.
      // A write that failed may have been done all the same, its answer lost and the store unable to say so in time,
      // naming this instance as the owner of work it has stopped: a turn without an event looks soon, and runs that work again if so.
      const keeping = this.#keep(call, this.#holder.settleLater)
      if (keeping !== undefined) await keeping
      traced?.settled(call.actor?.getSnapshot().value)
      if (call.sink !== undefined && sink !== undefined) call.push(reply)
      this.#live.touch(call)
      // A first sentence of an agent's it carries leaves now; a flow without an agent state has none to look for.
      if (this.#agents) this.#options.telemetry?.replied(call.id)
      return reply
    } finally {
      // Release: only a turn that saved nothing (or failed) still holds the lock.
      renewal()
      const releasing = this.#records.release(call)
      if (releasing !== undefined) await releasing
    }
  }

  /**
   * The turn without an event. One that fails (the store did not answer)
   * is tried again a little later: what came for the call waits in its
   * inbox meanwhile, and no other such turn is queued for it.
   */
  async settle (call: Call, claim: Claim | undefined): Promise<void> {
    const log = this.#options.log
    // From here on, whatever happens to the call needs a turn of its own.
    call.settleStarted()
    try {
      await this.#settle(call, claim, log)
    } catch (err) {
      log.error({ err, sessionId: call.id }, 'keeping what a call did between its events failed; it is tried again')
      call.holdSettles()
      // One that failed while the registry closes (closing waits for it) would be tried on a call let go.
      if (this.#stopped) return
      const retry = this.#clock.setTimeout(() => {
        this.#retries.delete(retry)
        call.releaseSettles()
        this.#holder.settleLater(call)
      }, SETTLE_RETRY)
      this.#retries.add(retry)
    }
  }

  async #settle (call: Call, claim: Claim | undefined, log: Logger): Promise<void> {
    // Most events of a live call in an in-process store have nothing to wait for here: no promise is made.
    const loading = this.#records.load(call, claim)
    const record = loading instanceof Promise ? await loading : loading
    const renewal = this.#records.keepLock(call)
    try {
      // Let go of here since the turn was queued (it ended, or is gone from its store): nothing of it is left to
      // settle, and a copy brought back now would be no call's, its delays firing for a call no longer held.
      if (!this.#holder.holds(call)) return
      const current = call.actor !== undefined && this.#records.current(call, record)
      // Gone from the store: the call ended or expired (with a shared store, perhaps elsewhere).
      if (record === undefined && (call.actor === undefined ? !call.failed : !current)) return await this.#forget(call)
      if (call.actor !== undefined && !current && call.inbox.every((input) => input.actor !== undefined)) return this.#drop(call)
      call.openReply(false)
      await this.#restore(call, record, log)
      this.#host.applyInbox(call)
      // What the flow said goes to the call's socket, or waits for its next reply.
      const said = call.closeReply()
      if (call.sink === undefined) call.holdForNextReply(said)
      // One that fails is tried again: it looks then.
      const keeping = this.#keep(call, noop)
      if (keeping !== undefined) await keeping
      if (call.sink !== undefined) call.push(said)
      this.#live.touch(call)
    } finally {
      // Release: only a turn that saved nothing (or failed) still holds the lock.
      renewal()
      const releasing = this.#records.release(call)
      if (releasing !== undefined) await releasing
    }
  }

  /**
   * Lets go of a call idle here for `sessionTtl`. A shared store expires the
   * record itself, and another instance may have served the call since, or
   * ended it: only the instance that served its last event, finding its
   * record as it left it, reports it expired.
   */
  expire (call: Call): void {
    const { telemetry, log, store } = this.#options
    const state = call.actor?.getSnapshot().value
    log.debug({ sessionId: call.id }, 'call expired')
    this.#holder.letGo(call)
    if (!this.#records.shared) {
      telemetry?.callEnded(call.id, 'expired', state, call.version)
      storeCall(() => store.delete(call.id)).catch((err) => log.warn({ err, sessionId: call.id }, 'deleting an expired call failed'))
      return
    }
    storeCall(() => store.get(call.id)).then((record) => {
      if (record?.updatedAt === call.lastEventAt) telemetry?.callEnded(call.id, 'expired', state, call.version)
      else telemetry?.callLeft(call.id)
    }, () => telemetry?.callLeft(call.id))
  }

  /** Turns without an event waiting to be tried again. */
  get retrying (): number {
    return this.#retries.size
  }

  /** Stops the turns waiting to be tried again: the registry is closing. */
  stop (): void {
    this.#stopped = true
    for (const retry of this.#retries) this.#clock.clearTimeout(retry)
    this.#retries.clear()
  }

  /** Stops an idle call's actor, once its record is kept: its next event brings it back. */
  park (call: Call): boolean {
    if (!this.#host.parkable(call)) return false
    try {
      this.#records.park(call)?.catch((err) => this.#options.log.warn({ err, sessionId: call.id }, 'a parked call could not be stored; it waits in memory'))
      // A shared store knows when the call's delays are due from its every save; an in-process one is watched here.
      if (!this.#records.shared) this.#due.set(call.id, firstDue(call))
    } catch (err) {
      // Parking runs in another call's turn: a call whose state cannot be kept fails alone.
      this.#host.fail(call, new FlowError(`its state could not be kept: ${String(err)}`, { cause: err }))
      return true
    }
    call.stored()
    return true
  }

  /** Restores the call from its record, or starts it; returns the work running then, which is not this turn's to wait for. */
  #restore (call: Call, record: SessionRecord | undefined, log: Logger): ReadonlySet<AnyActorRef> | Promise<ReadonlySet<AnyActorRef>> {
    const current = call.actor !== undefined && this.#records.current(call, record)
    const alive = livingOwners(call, record, this.#work.instance, this.#present)
    // The store is asked who lives only when another instance's work is in the record.
    if (alive instanceof Promise) return alive.then((owners) => this.#prepare(call, record, log, current, owners))
    return this.#prepare(call, record, log, current, alive)
  }

  #prepare (call: Call, record: SessionRecord | undefined, log: Logger, current: boolean, alive: ReadonlySet<string> | undefined): ReadonlySet<AnyActorRef> {
    const known = this.#host.prepare(call, record, this.#host.runningWork(call), { current, alive })
    if (record !== undefined) {
      // Live again: its record no longer needs its delays watched here, nor (in-process) keeping.
      this.#due.set(call.id, undefined)
      this.#records.restored(call)?.catch((err) => log.warn({ err, sessionId: call.id }, 'a restored call\'s record could not be deleted'))
    }
    return known
  }

  /**
   * Keeps the call's state (there may be nothing to write), then tells the
   * watchers and stops the work its flow has left. When the write fails, the
   * work the turn started stops, and `stopped` is called with the call.
   */
  #keep (call: Call, stopped: (call: Call) => void): Promise<void> | undefined {
    const saving = this.#records.save(call)
    if (saving === undefined) return this.#kept(call)
    return saving.then(() => this.#kept(call), (err: unknown) => {
      // Not kept, the turn has no effect: the work it started stops (its retry starts it again).
      if (this.#work.abandonUnkept(call.id, call.revision)) stopped(call)
      throw err
    })
  }

  #kept (call: Call): undefined {
    this.#holder.changed(call)
    this.#work.abandon(call.id, call.actor)
    return undefined
  }

  #drop (call: Call): void {
    this.#options.log.warn({ sessionId: call.id, dropped: call.pending.length }, 'the call moved on elsewhere; what this copy did since is dropped')
    call.movedOn()
  }

  /** A call woken for nothing: gone from the store, it is gone from here too. */
  async #forget (call: Call): Promise<void> {
    if (call.queued === 0) {
      // With a shared store, the instance that ended the call reported it; without, the store expired it (no copy was live here).
      const telemetry = this.#options.telemetry
      if (this.#records.shared) telemetry?.callLeft(call.id)
      else telemetry?.callEnded(call.id, 'expired', undefined, call.version)
      this.#holder.letGo(call)
    }
    await this.#records.delete(call)
  }

  async #end (call: Call, event: IncomingEvent, record: SessionRecord | undefined, log: Logger): Promise<AiFlowAction[]> {
    const dropped = call.pending.length
    if (call.actor !== undefined || record !== undefined) {
      // What the flow says as the call ends is never sent: nothing is executed after session_end.
      call.openReply(true)
      this.#host.prepare(call, record, new Set(), { current: call.actor !== undefined && this.#records.current(call, record), ending: true })
      call.actor?.send(event)
      call.closeReply()
    }
    const state = call.actor?.getSnapshot().value
    try {
      await this.#records.delete(call)
    } catch (err) {
      // Not deleted, or not known to be: the event has no effect, and the call goes on as its record has it. The copy
      // here goes (its actor had the end), its work goes on: the store may still name this instance as its owner.
      // Were the delete done after all, the end is heard, and the call let go of then.
      call.park()
      throw err
    }
    this.#options.telemetry?.callEnded(call.id, 'session_end', state, call.version)
    if (dropped > 0) log.info({ sessionId: call.id, dropped }, 'the call ended before these actions could be sent')
    // Events already queued here behind session_end begin a new call on this
    // same object, in order: dropped from the map, it would run beside a newer
    // one. Those queued on other instances begin it there.
    if (call.queued > 0) this.#holder.restart(call)
    else this.#holder.letGo(call)
    return []
  }
}

/** When the call's first delay is due, if it has one. */
function firstDue (call: Call): number | undefined {
  // Only a live call is parked.
  return pendingTimers(call.actor as AnyActorRef)[0]?.dueAt
}
