import type { AiFlowAction } from '../protocol'
import { TooManyCallsError } from '../errors'
import { ActorHost } from './actor-host'
import { Call, type ActionSink } from './call'
import { CallRecords } from './call-records'
import { CallTasks } from './call-tasks'
import { LiveActors } from './live-actors'
import { recordProblem } from './record'
import { callView, type CallView } from './call-view'
import type { Logger } from './logger'
import type { SessionRecord } from './store'
import type { CallTurn } from './turn'
import type { EventTurn } from '../telemetry'
import { isPromiseLogic } from './pending-work'
import type { CallWatcher, DispatchOptions, IncomingEvent, RegistryOptions } from './registry-options'

export type { CallWatcher, DispatchOptions, RegistryOptions } from './registry-options'

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
  readonly #tasks: CallTasks

  constructor (options: RegistryOptions) {
    this.#options = options
    this.#records = new CallRecords(options.store, { version: options.flowVersion, ttl: options.sessionTtl, lockWait: options.replyTimeout, telemetry: options.telemetry })
    this.#tasks = new CallTasks(this.#records)
    this.#host = new ActorHost({
      flow: options.flow,
      flowVersion: options.flowVersion,
      flows: options.flows,
      replyTimeout: options.replyTimeout,
      fallback: () => options.fallback,
      inspect: options.telemetry?.inspect(options.inspect, isPromiseLogic) ?? options.inspect, // telemetry: spans for promise work
      telemetry: options.telemetry,
      clock: options.clock,
      log: options.log,
      changed: (call) => {
        // Deferred: the flow is still taking its event when it tells of the change.
        this.#tasks.run(call, (record) => this.#saveLate(call, record), true)
          .catch((err) => options.log.error({ err, sessionId: call.id }, 'saving a call failed'))
      }
    })
    this.#live = new LiveActors(options.liveActors ?? Infinity, (call) => this.#park(call))
    const every = Math.min(Math.max(options.sessionTtl / 4, 10), 30_000)
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
      call = new Call(id, event.session, Date.now())
      this.#calls.set(id, call)
    }
    const current = call
    const turn = this.#options.telemetry?.eventStarted(event, transport, request) // telemetry: undefined while off
    const observe = this.#options.observe
    // Without an observer (recording, simulators) no turn is built: this is every event's path.
    const reply = observe === undefined
      ? this.#tasks.run(current, (record) => this.#process(current, event, log, replyable, sink, record, turn))
      : this.#observed(observe, current, event, log, replyable, sink, turn)
    turn?.follow(reply) // telemetry: ends the event's span with its reply
    return reply
  }

  #observed (
    observe: (turn: CallTurn) => void, call: Call, event: IncomingEvent, log: Logger, replyable: boolean, sink: ActionSink | undefined, turn: EventTurn | undefined
  ): Promise<AiFlowAction[]> {
    const at = Date.now()
    return this.#tasks.run(call, async (record) => {
      const reply = await this.#process(call, event, log, replyable, sink, record, turn)
      this.#observe(observe, { at, event, reply, state: call.actor?.getSnapshot().value, pushed: sink !== undefined }, log, call.id)
      return reply
    })
  }

  /** Ends a sink's hold on a call: what its flow emits later waits for the call's next event. */
  release (id: string, sink: ActionSink): void {
    const call = this.#calls.get(id)
    if (call?.sink === sink) call.sink = undefined
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

  /** Expires every call idle for longer than `sessionTtl`. */
  sweep (now = Date.now()): void {
    // The map is kept in order of last activity, so the first fresh call ends the sweep.
    for (const call of this.#calls.values()) {
      if (call.lastEventAt + this.#options.sessionTtl > now) break
      if (call.inFlight > 0) continue
      this.#options.log.debug({ sessionId: call.id }, 'call expired')
      this.#options.telemetry?.callEnded(call.id, 'expired', call.actor?.getSnapshot().value, call.version) // telemetry
      this.#remove(call)
      // A shared store expires the record itself: another instance may be serving the call.
      if (this.#records.shared) continue
      this.#options.store.delete(call.id).catch((err) => this.#options.log.warn({ err, sessionId: call.id }, 'deleting an expired call failed'))
    }
  }

  async close (): Promise<void> {
    clearInterval(this.#sweeper)
    // Events in flight finish first: their replies go out and their locks are released.
    await this.#tasks.drain()
    for (const call of this.#calls.values()) call.stop()
    this.#calls.clear()
    this.#live.clear()
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

  async #process (
    call: Call, event: IncomingEvent, log: Logger, replyable: boolean, sink: ActionSink | undefined, record: SessionRecord | undefined,
    turn?: EventTurn
  ): Promise<AiFlowAction[]> {
    call.lastEventAt = Date.now()
    this.#calls.delete(call.id)
    this.#calls.set(call.id, call)
    // What the call's previous transport is owed leaves before the call changes hands.
    call.flush()
    call.sink = sink
    turn?.begin() // telemetry
    if (event.type === 'session_end') {
      await this.#end(call, event, record, log)
      return []
    }
    let reply = call.pending
    call.pending = []
    call.window = reply
    // Taken before the actor may be started, so that work its initial state invokes counts as this event's.
    const known = this.#host.prepare(call, record, this.#host.runningWork(call))
    // A call is its live actor or its record, never both.
    if (record !== undefined) this.#records.restored(call)?.catch((err) => log.warn({ err, sessionId: call.id }, 'a restored call\'s record could not be deleted'))
    turn?.delivering(call.actor?.getSnapshot().value, call.version ?? this.#options.flowVersion) // telemetry
    const waiting = call.actor === undefined ? undefined : this.#host.deliver(call, event, known)
    const deadlineHit = waiting !== undefined && await waiting
    turn?.waited(deadlineHit) // telemetry
    call.window = null
    if (sink === undefined && !replyable && reply.length > 0) {
      call.pending = reply.concat(call.pending)
      reply = []
    }
    // Saved before anything leaves: an event is answered only once its state is kept.
    const saving = this.#save(call)
    if (saving !== undefined) await saving
    turn?.settled(call.actor?.getSnapshot().value) // telemetry
    if (sink !== undefined) call.push(reply)
    this.#live.touch(call)
    return reply
  }

  async #end (call: Call, event: IncomingEvent, record: SessionRecord | undefined, log: Logger): Promise<void> {
    if (call.actor !== undefined || record !== undefined) {
      call.window = []
      this.#host.prepare(call, record, new Set())
      call.actor?.send(event)
      call.window = null
    }
    if (call.pending.length > 0) log.info({ sessionId: call.id, dropped: call.pending.length }, 'the call ended before these actions could be sent')
    this.#options.telemetry?.callEnded(call.id, 'session_end', call.actor?.getSnapshot().value, call.version) // telemetry
    // Events already queued behind session_end begin a new call on this same
    // object, in order: dropped from the map, it would run beside a newer one.
    if (call.waiting > 0) this.#restart(call)
    else this.#remove(call)
    await this.#records.delete(call)
  }

  /** The call ended with events queued behind it: watchers see it end, and its next save begins the new one. */
  #restart (call: Call): void {
    call.restart(Date.now())
    this.#live.forget(call)
    for (const watcher of this.#watchers) watcher(call.id, true)
  }

  #remove (call: Call): void {
    call.stop()
    this.#calls.delete(call.id)
    this.#live.forget(call)
    for (const watcher of this.#watchers) watcher(call.id, true)
  }

  /** Stops an idle call's actor, once its record is kept: its next event brings it back. */
  #park (call: Call): boolean {
    if (!this.#host.parkable(call)) return false
    this.#records.park(call)?.catch((err) => this.#options.log.warn({ err, sessionId: call.id }, 'a parked call could not be stored; it waits in memory'))
    call.stop()
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

  /** Saves what the flow did between events, unless the call has moved on elsewhere since. */
  async #saveLate (call: Call, record: SessionRecord | undefined): Promise<void> {
    if (this.#records.current(call, record)) return await this.#save(call)
    this.#options.log.warn({ sessionId: call.id, dropped: call.pending.length }, 'the call moved on elsewhere; what this copy did since is dropped')
    call.pending = []
    call.stop()
  }
}
