import type { AnyActorRef } from 'xstate'
import type { AiFlowAction, Session } from '../protocol'
import { FlowError, TooManyCallsError } from '../errors'
import { storeCall } from './record-io'
import { ActorHost, realClock, type Clock } from './actor-host'
import { Call, type ActionSink } from './call'
import { callRecords, type CallRecords } from './call-records'
import { CallTasks } from './call-tasks'
import { LocalDueCalls } from './due-calls'
import { SharedStoreDuties } from './shared-duties'
import { pendingTimers, routePromiseWork } from './xstate-adapter'
import { WorkRunner } from './work-runner'
import type { CallInput } from './call'
import { LiveActors } from './live-actors'
import { recordProblem } from './record'
import { callView, type CallView } from './call-view'
import type { Logger } from './logger'
import type { SessionRecord } from '../stores/store'
import type { CallTurn } from './call-turn'
import type { CallWatcher, DispatchOptions, IncomingEvent, RegistryOptions } from './registry-options'
import type { Claim } from './call-lock'
import type { EventTurn } from '../telemetry'

/** What a turn is given: an event (none for a turn that applies what happened since the last) and where its reply goes. */
interface TurnInput {
  event?: IncomingEvent
  log: Logger
  /** False when the transport cannot carry a reply: what the flow emits waits for the next one. */
  replyable: boolean
  sink?: ActionSink
  /** The event's telemetry, while it is on. */
  traced?: EventTurn
}

export type { CallWatcher, DispatchOptions, RegistryOptions } from './registry-options'

/** How long a turn without an event that failed (a store blip) waits before it is tried again, in ms. */
const SETTLE_RETRY = 1000
/** How long closing waits for work that does not heed its signal, at most, in ms. */
const CLOSE_PATIENCE = 500

/**
 * Every call this instance serves, each with its own actor and its own
 * queue. Calls idle for `sessionTtl` expire; at most `maxSessions` live at once.
 */
export class SessionRegistry {
  readonly #calls = new Map<string, Call>()
  readonly #options: RegistryOptions
  readonly #host: ActorHost
  readonly #records: CallRecords
  readonly #live: LiveActors
  readonly #sweeper: NodeJS.Timeout
  readonly #watchers = new Set<CallWatcher>()
  /** The `observe` option and those added with `observe()`: each is told of every turn. */
  readonly #observers = new Set<(turn: CallTurn) => void>()
  readonly #tasks: CallTasks
  readonly #now: () => number
  /** Parked calls with delays pending, when no shared store keeps them due. */
  readonly #due: LocalDueCalls
  /** With a shared store: due delays polled, this instance announced. */
  readonly #duties: SharedStoreDuties | undefined
  readonly #work: WorkRunner
  readonly #clock: Clock
  /** The timers of turns without an event waiting to be tried again. */
  readonly #retries = new Set<unknown>()
  readonly #unwatchEnds: (() => void) | undefined
  #closed = false

  constructor (options: RegistryOptions) {
    this.#options = options
    if (options.observe !== undefined) this.#observers.add(options.observe)
    const clock = options.clock as (RegistryOptions['clock'] & { now?: () => number }) | undefined
    this.#now = clock?.now === undefined ? Date.now : () => (clock.now as () => number)()
    const { telemetry } = options
    this.#clock = options.clock ?? realClock
    const every = Math.min(Math.max(options.sessionTtl / 4, 10), 30_000)
    const shared = options.store.lock !== undefined
    // A shared record outlives the sweep that looks for it: the instance that served the call's last event finds it, and reports it expired.
    this.#records = callRecords(options.store, { version: options.flowVersion, ttl: options.sessionTtl + (shared ? 2 * every : 0), lockWait: options.replyTimeout, now: this.#now, telemetry })
    this.#tasks = new CallTasks(this.#records)
    this.#work = new WorkRunner((id, result) => this.#post(id, {
      apply: (actor) => {
        if (!this.#work.apply(actor, result)) options.log.debug({ sessionId: id, work: result.key }, 'work ended for a state the call has left')
      }
    }), (id, news) => this.#post(id, {
      apply: (actor) => {
        if (!this.#work.tell(actor, news)) options.log.debug({ sessionId: id, work: news.key, emitted: news.event.type }, 'work emitted for a state the call has left')
      }
    }), telemetry)
    for (const flow of [options.flow, ...Object.values(options.flows)]) routePromiseWork(flow)
    this.#host = new ActorHost({
      flow: options.flow,
      flowVersion: options.flowVersion,
      flows: options.flows,
      replyTimeout: options.replyTimeout,
      fallback: () => options.fallback,
      inspect: options.inspect,
      clock: options.clock,
      now: this.#now,
      log: options.log,
      changed: (call) => this.#settleLater(call),
      due: (call, input) => this.#post(call.id, input),
      work: this.#work,
      modelCalls: options.modelCalls,
      telemetry
    })
    this.#due = new LocalDueCalls(this.#clock, this.#now, (id) => this.wake(id))
    if (this.#records.shared) {
      this.#duties = new SharedStoreDuties(options.store, this.#work.instance, this.#now, (id) => this.wake(id))
      // A call ended on another instance: its turn here finds its record gone, and lets go of it.
      this.#unwatchEnds = options.store.onEnded?.((id) => {
        const call = this.#calls.get(id)
        if (call !== undefined) this.#settleLater(call)
      })
    }
    this.#live = new LiveActors(options.liveActors ?? Infinity, (call) => this.#park(call))
    this.#sweeper = setInterval(() => this.sweep(), every).unref()
  }

  /** Calls held by this instance. */
  get size (): number {
    return this.#calls.size
  }

  /**
   * Hands one event to its call's flow, after every earlier event of that
   * call, and resolves with the actions for the reply, in emission order.
   */
  dispatch (event: IncomingEvent, { log, replyable = true, sink, transport = 'http', request }: DispatchOptions): Promise<AiFlowAction[]> {
    const id = event.session.id
    let call = this.#calls.get(id)
    if (call === undefined) {
      this.#admit(log, id)
      call = this.#adopt(id, event.session)
    }
    const current = call
    // Undefined while telemetry is off: nothing is made for it on an event's path.
    const traced = this.#options.telemetry?.eventStarted(event, transport, request)
    const input = { event, log, replyable, sink, traced }
    const reply = this.#observers.size === 0
      ? this.#tasks.run(current, (claim) => this.#turn(current, claim, input))
      : this.#observed(current, claim => this.#turn(current, claim, input), input)
    traced?.follow(reply)
    return reply
  }

  /** The turn, and then every observer (recording, simulators, live view) told of it. */
  #observed (call: Call, turn: (claim: Claim | undefined) => Promise<AiFlowAction[]>, { event, log, sink }: TurnInput): Promise<AiFlowAction[]> {
    const at = Date.now()
    return this.#tasks.run(call, async (claim) => {
      const reply = await turn(claim)
      const observed = { at, event: event as IncomingEvent, reply, state: call.actor?.getSnapshot().value, pushed: sink !== undefined }
      for (const observe of this.#observers) this.#observe(observe, observed, log, call.id)
      return reply
    })
  }

  /**
   * Ends a sink's hold on a call: what its flow emits later waits for the
   * call's next event. What the sink could not take is kept at once, with
   * the call's record, not at its next event.
   */
  release (id: string, sink: ActionSink): void {
    const call = this.#calls.get(id)
    if (call?.sink !== sink) return
    call.sink = undefined
    call.flush()
    if (call.pending.length > 0) this.#settleLater(call)
  }

  /** The ids of the calls held by this instance, the most recently active last. */
  ids (): string[] {
    return [...this.#calls.keys()]
  }

  /** Tells `watcher` about every change and end of a call held here; returns a function that stops it. */
  watch (watcher: CallWatcher): () => void {
    this.#watchers.add(watcher)
    return () => { this.#watchers.delete(watcher) }
  }

  /** Tells `observer` of every turn, as the `observe` option is; returns a function that stops it. */
  observe (observer: (turn: CallTurn) => void): () => void {
    this.#observers.add(observer)
    return () => { this.#observers.delete(observer) }
  }

  /** A read-only copy of one call's state, or undefined for an unknown call. */
  async get (id: string): Promise<CallView | undefined> {
    const record = await this.record(id)
    return record === undefined ? undefined : callView(record, id)
  }

  /** One call's record as it stands now, or undefined for an unknown call or a record that fails its checks. */
  async record (id: string): Promise<SessionRecord | undefined> {
    const record = await this.#records.read(id, this.#calls.get(id))
    return record === undefined || recordProblem(record, id) !== undefined ? undefined : record
  }

  /**
   * Runs a turn of the call without an event: it brings the call back from
   * its record (here, or from another instance) and fires what is due.
   */
  wake (id: string): void {
    // A due-poll answered after close adopts nothing.
    if (this.#closed) return
    this.#settleLater(this.#calls.get(id) ?? this.#adopt(id))
  }

  /** Expires every call idle for longer than `sessionTtl`. */
  sweep (now = Date.now()): void {
    // The map is kept in order of last activity, so the first fresh call ends the sweep.
    for (const call of this.#calls.values()) {
      if (call.lastEventAt + this.#options.sessionTtl > now) break
      if (call.inFlight > 0) continue
      this.#expire(call)
    }
  }

  /**
   * Lets go of a call idle here for `sessionTtl`. A shared store expires the
   * record itself, and another instance may have served the call since, or
   * ended it: only the instance that served its last event, finding its
   * record as it left it, reports it expired.
   */
  #expire (call: Call): void {
    const { telemetry, log, store } = this.#options
    const state = call.actor?.getSnapshot().value
    log.debug({ sessionId: call.id }, 'call expired')
    this.#remove(call)
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

  /**
   * Lets go of every call: events in flight are answered first, then every
   * piece of work (a model's stream too) is stopped through its signal and
   * waited for (work that ignores its signal, briefly), and the store is closed.
   */
  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    this.#duties?.stop()
    this.#unwatchEnds?.()
    this.#due.clear()
    for (const retry of this.#retries) this.#clock.clearTimeout(retry)
    this.#retries.clear()
    // Events in flight finish first: their replies go out and their locks are released.
    await this.#tasks.drain()
    const stopped = this.#work.stop(Math.min(this.#options.replyTimeout, CLOSE_PATIENCE))
    for (const call of this.#calls.values()) call.end()
    this.#calls.clear()
    this.#live.clear()
    await stopped
    await this.#options.store.close?.()
  }

  #observe (observe: (turn: CallTurn) => void, turn: CallTurn, log: Logger, sessionId: string): void {
    try {
      observe(turn)
    } catch (err) {
      log.error({ err, sessionId }, 'the observe option threw; the reply is sent all the same')
    }
  }

  #admit (log: Logger, sessionId: string): void {
    if (this.#calls.size < this.#options.maxSessions) return
    this.sweep()
    if (this.#calls.size < this.#options.maxSessions) return
    const err = new TooManyCallsError(this.#options.maxSessions)
    log.error({ err, sessionId, liveCalls: this.#calls.size }, 'live call limit reached: new calls are refused')
    throw err
  }

  /**
   * One turn of a call, top to bottom: its event, or (without one) what
   * happened to it since its last turn. Its place in line (with a shared
   * store, in the lock's queue too) was taken when the event arrived.
   */
  async #turn (call: Call, claim: Claim | undefined, { event, log, replyable, sink, traced }: TurnInput): Promise<AiFlowAction[]> {
    // Load the call's record, once its lock (if any) is ours; the lock is renewed while the turn runs.
    const loading = this.#records.load(call, claim)
    const record = loading instanceof Promise ? await loading : loading
    const renewal = this.#records.keepLock(call)
    try {
      const current = call.actor !== undefined && this.#records.current(call, record)
      if (event === undefined) {
        // Gone from the store: the call ended or expired (with a shared store, perhaps elsewhere).
        if (record === undefined && (call.actor === undefined ? !call.failed : !current)) return await this.#forget(call)
        if (call.actor !== undefined && !current && call.inbox.every((input) => input.actor !== undefined)) return this.#drop(call)
      } else {
        this.#touch(call, sink)
        traced?.begin()
        if (event.type === 'session_end') return await this.#end(call, event, record, log)
      }
      // Restore the call from its record, or start it; the work running then is not this turn's to wait for.
      call.openReply(event !== undefined)
      const alive = await this.#livingOwners(call, record)
      const known = this.#host.prepare(call, record, this.#host.runningWork(call), { current, alive })
      if (record !== undefined) this.#restored(call, log)
      // Deliver what is due first (delays, ended work), then the event; wait for the work it started.
      this.#host.applyInbox(call)
      traced?.delivering(call.actor?.getSnapshot().value, call.version ?? this.#options.flowVersion)
      const waiting = call.actor === undefined || event === undefined ? undefined : this.#host.deliver(call, event, known)
      const deadlineHit = waiting !== undefined && await waiting
      traced?.waited(deadlineHit)
      let reply = call.closeReply()
      if (call.sink === undefined && (event === undefined || !replyable) && reply.length > 0) {
        call.pending = reply.concat(call.pending)
        reply = []
      }
      // Save before anything leaves: an event is answered only once its state is kept.
      const saving = this.#save(call)
      if (saving !== undefined) await saving
      this.#work.abandon(call.id, call.actor)
      traced?.settled(call.actor?.getSnapshot().value)
      if (call.sink !== undefined && (sink !== undefined || event === undefined)) call.push(reply)
      this.#live.touch(call)
      return reply
    } finally {
      renewal()
      // Release: only a turn that saved nothing (or failed) still holds the lock.
      const releasing = this.#records.release(call)
      if (releasing !== undefined) await releasing
    }
  }

  /** An event came: the call is the most recently active, and its transport takes what the flow emits later. */
  #touch (call: Call, sink: ActionSink | undefined): void {
    call.lastEventAt = Date.now()
    this.#calls.delete(call.id)
    this.#calls.set(call.id, call)
    // What the call's previous transport is owed leaves before the call changes hands.
    call.flush()
    call.sink = sink
  }

  /** A turn without an event, queued once however many changes call for it. */
  #settleLater (call: Call): void {
    if (call.settling) return
    call.settling = true
    // It never rejects: a turn that failed is tried again.
    this.#tasks.run(call, (claim) => this.#settle(call, claim), true, true)
  }

  /**
   * The turn without an event. One that fails (the store did not answer)
   * is tried again a little later: what came for the call waits in its
   * inbox meanwhile, and no other such turn is queued for it.
   */
  async #settle (call: Call, claim: Claim | undefined): Promise<AiFlowAction[]> {
    // From here on, whatever happens to the call needs a turn of its own.
    call.settling = false
    try {
      return await this.#turn(call, claim, { log: this.#options.log, replyable: false })
    } catch (err) {
      this.#options.log.error({ err, sessionId: call.id }, 'keeping what a call did between its events failed; it is tried again')
      call.settling = true
      const retry = this.#clock.setTimeout(() => {
        this.#retries.delete(retry)
        call.settling = false
        if (this.#calls.get(call.id) === call) this.#settleLater(call)
      }, SETTLE_RETRY)
      this.#retries.add(retry)
      return []
    }
  }

  /** The call is live again: its record no longer needs its delays watched here, nor (in-process) keeping. */
  #restored (call: Call, log: Logger): void {
    this.#due.set(call.id, undefined)
    this.#records.restored(call)?.catch((err) => log.warn({ err, sessionId: call.id }, 'a restored call\'s record could not be deleted'))
  }

  #drop (call: Call): AiFlowAction[] {
    this.#options.log.warn({ sessionId: call.id, dropped: call.pending.length }, 'the call moved on elsewhere; what this copy did since is dropped')
    call.pending = []
    call.park()
    return []
  }

  /** A call woken for nothing: gone from the store, it is gone from here too. */
  async #forget (call: Call): Promise<AiFlowAction[]> {
    if (call.waiting === 0) {
      // With a shared store, the instance that ended the call reported it; without, the store expired it.
      const telemetry = this.#options.telemetry
      if (this.#records.shared) telemetry?.callLeft(call.id)
      else telemetry?.callEnded(call.id, 'expired', call.actor?.getSnapshot().value, call.version)
      this.#remove(call)
    }
    await this.#records.delete(call)
    return []
  }

  /** Holds a call here from now on; without its session, its record's stands in once loaded. */
  #adopt (id: string, session = { id } as Session): Call {
    const call = new Call(id, session, Date.now())
    call.idle = () => this.#settleLater(call)
    this.#calls.set(id, call)
    return call
  }

  /** Something happened to the call: the turn running applies it, or else a turn of its own. */
  #post (id: string, input: CallInput): void {
    // A call's work is stopped whenever the call is let go here (ended, expired, the registry closed), and its delays with its actor.
    const call = this.#calls.get(id) as Call
    call.inbox.push(input)
    call.wake()
    if (call.inFlight === 0) this.#settleLater(call)
  }

  /**
   * Which owners of the record's work live. When one is gone, the call's
   * copy here (if any) goes too: restored from the record, it runs that
   * work again, here, where it only stood in for it.
   */
  async #livingOwners (call: Call, record: SessionRecord | undefined): Promise<ReadonlySet<string> | undefined> {
    const work = record?.work
    // A record is untrusted: one that fails its checks is refused when the call is restored.
    if (!Array.isArray(work) || work.length === 0 || recordProblem(record, call.id) !== undefined) return undefined
    const others = [...new Set(work.map((item) => item.owner))].filter((owner) => owner !== this.#work.instance)
    const { present } = this.#options.store
    // Without a store that knows who lives, no other instance runs this call's work.
    if (others.length === 0 || !this.#records.shared || present === undefined) return undefined
    const alive = new Set(await storeCall(() => present.call(this.#options.store, others)))
    if (alive.size < others.length && call.actor !== undefined) call.park()
    return alive
  }

  async #end (call: Call, event: IncomingEvent, record: SessionRecord | undefined, log: Logger): Promise<AiFlowAction[]> {
    if (call.actor !== undefined || record !== undefined) {
      // What the flow says as the call ends is never sent: nothing is executed after session_end.
      const held = call.pending
      call.pending = []
      call.openReply(true)
      this.#host.prepare(call, record, new Set(), { current: call.actor !== undefined && this.#records.current(call, record), ending: true })
      call.actor?.send(event)
      call.closeReply()
      call.pending = held
    }
    this.#options.telemetry?.callEnded(call.id, 'session_end', call.actor?.getSnapshot().value, call.version)
    if (call.pending.length > 0) log.info({ sessionId: call.id, dropped: call.pending.length }, 'the call ended before these actions could be sent')
    // Events already queued behind session_end begin a new call on this same
    // object, in order: dropped from the map, it would run beside a newer one.
    if (call.waiting > 0) this.#restart(call)
    else this.#remove(call)
    await this.#records.delete(call)
    return []
  }

  /** The call ended with events queued behind it: watchers see it end, and its next save begins the new one. */
  #restart (call: Call): void {
    call.restart(Date.now())
    this.#due.set(call.id, undefined)
    this.#live.forget(call)
    for (const watcher of this.#watchers) watcher(call.id, true)
  }

  #remove (call: Call): void {
    this.#due.set(call.id, undefined)
    this.#work.abandon(call.id)
    call.end()
    this.#calls.delete(call.id)
    this.#live.forget(call)
    for (const watcher of this.#watchers) watcher(call.id, true)
  }

  /** Stops an idle call's actor, once its record is kept: its next event brings it back. */
  #park (call: Call): boolean {
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
    call.park()
    // They are in the record, which leads the next reply with them.
    call.pending = []
    return true
  }

  /** Keeps the call's state (there may be nothing to write), then tells the watchers. */
  #save (call: Call): Promise<void> | undefined {
    const saving = this.#records.save(call)
    if (saving === undefined) {
      this.#changed(call)
      return undefined
    }
    return saving.then(() => this.#changed(call))
  }

  #changed (call: Call): void {
    for (const watcher of this.#watchers) watcher(call.id, false)
  }
}

/** When the call's first delay is due, if it has one. */
function firstDue (call: Call): number | undefined {
  // Only a live call is parked.
  return pendingTimers(call.actor as AnyActorRef)[0]?.dueAt
}
