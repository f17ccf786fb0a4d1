import type { AiFlowAction, Session } from '../protocol'
import type { SessionRecord } from '../stores/store'
import { ActorHost, realClock } from './actor-host'
import type { ActionSink, Call, CallInput, CallTask } from './call'
import { callRecords, type CallRecords } from './call-records'
import { CallTasks } from './call-tasks'
import { CallTurns, type CallHolder } from './call-turns'
import { LocalDueCalls } from './due-calls'
import { SharedStoreDuties } from './shared-duties'
import { routePromiseWork } from './xstate-adapter'
import { WorkRunner } from './work-runner'
import { LiveActors } from './live-actors'
import { recordProblem } from './record'
import { callView, type CallView } from './call-view'
import type { CallTurn } from './call-turn'
import type { CallWatcher, DispatchOptions, IncomingEvent, RegistryOptions } from './registry-options'
import { CallAgentTurns, type ToolWatcher } from './agent-turns'
import { CallObservers } from './call-observers'
import { HeldCalls } from './held-calls'
import { closeCalls } from './closing'
import { functionToolNames } from '../telemetry/tool-kinds'

export type { CallWatcher, DispatchOptions, RegistryOptions } from './registry-options'

/**
 * Every call this instance serves, each with its own actor and its own
 * queue. Calls idle for `sessionTtl` expire; at most `maxSessions` live at once.
 */
export class SessionRegistry {
  readonly #calls: HeldCalls
  readonly #options: RegistryOptions
  readonly #host: ActorHost
  readonly #records: CallRecords
  readonly #live: LiveActors
  readonly #sweeper: NodeJS.Timeout
  /** Told of the changes and ends of the calls held here, of every turn and of every function tool run. */
  readonly #observers: CallObservers
  readonly #tasks: CallTasks
  readonly #now: () => number
  /** Parked calls with delays pending, when no shared store keeps them due. */
  readonly #due: LocalDueCalls
  /** With a shared store: due delays polled, this instance announced. */
  readonly #duties: SharedStoreDuties | undefined
  readonly #work: WorkRunner
  readonly #turns: CallTurns
  readonly #unwatchEnds: (() => void) | undefined
  #closed = false

  constructor (options: RegistryOptions) {
    this.#options = options
    this.#observers = new CallObservers(options.observe)
    this.#calls = new HeldCalls(options.maxSessions, options.sessionTtl)
    const clock = options.clock as (RegistryOptions['clock'] & { now?: () => number }) | undefined
    this.#now = clock?.now === undefined ? Date.now : () => (clock.now as () => number)()
    const { telemetry } = options
    const every = Math.min(Math.max(options.sessionTtl / 4, 10), 30_000)
    const shared = options.store.lock !== undefined
    // A shared record outlives the sweep that looks for it: the instance that served the call's last event finds it, and reports it expired.
    this.#records = callRecords(options.store, { version: options.flowVersion, ttl: options.sessionTtl + (shared ? 2 * every : 0), lockWait: options.replyTimeout, now: this.#now, log: options.log, telemetry, owning: (record) => (this.#duties as SharedStoreDuties).owning(record) })
    this.#tasks = new CallTasks(this.#records)
    const stale = (id: string, key: string, emitted?: string): void => options.log.debug({ sessionId: id, work: key, emitted }, `work ${emitted === undefined ? 'ended' : 'emitted'} for a state the call has left`)
    this.#work = new WorkRunner(
      (id, result) => this.#post(id, { apply: (actor) => { if (!this.#work.apply(actor, result)) stale(id, result.key) } }),
      (id, news) => this.#post(id, { apply: (actor) => { if (!this.#work.tell(actor, news)) stale(id, news.key, news.event.type) } }),
      telemetry)
    for (const flow of [options.flow, ...Object.values(options.flows)]) routePromiseWork(flow)
    // Only flows with an agent state have turns to measure: the calls of the others carry nothing for it.
    const agents = functionToolNames([options.flow, ...Object.values(options.flows)]) !== undefined
    this.#host = new ActorHost({
      ...options,
      agentTurns: agents ? (id) => new CallAgentTurns(id, telemetry, this.#observers.tools) : undefined,
      fallback: () => options.fallback,
      now: this.#now,
      changed: (call) => this.#settleLater(call),
      due: (call, input) => this.#post(call.id, input),
      work: this.#work
    })
    const clockOfFlows = options.clock ?? realClock
    this.#due = new LocalDueCalls(clockOfFlows, this.#now, (id) => this.wake(id))
    if (this.#records.shared) {
      this.#duties = new SharedStoreDuties(options.store, this.#work.instance, this.#now, (id) => this.wake(id), () => this.#work.calls())
      // A call ended on another instance: its turn here finds its record gone, and lets go of it.
      this.#unwatchEnds = options.store.onEnded?.((id) => {
        const call = this.#calls.get(id)
        if (call !== undefined) this.#settleLater(call)
      })
    }
    this.#live = new LiveActors(options.liveActors ?? Infinity, (call) => this.#turns.park(call))
    this.#turns = new CallTurns({ options, records: this.#records, host: this.#host, work: this.#work, due: this.#due, live: this.#live, clock: clockOfFlows, holder: this.#holder(), present: this.#duties?.present, agents })
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
      this.#calls.admit(log, id, this.#sweepNow)
      call = this.#calls.adopt(id, event.session, this.#settleLater)
    }
    const current = call
    // Undefined while telemetry is off: nothing is made for it on an event's path.
    const traced = this.#options.telemetry?.eventStarted(event, transport, request)
    const input = { event, log, replyable, sink, traced }
    const turn: CallTask<AiFlowAction[]> = (claim) => this.#turns.event(current, claim, input)
    const reply = this.#tasks.run(current, this.#observers.observing ? this.#observers.observed(current, input, turn) : turn)
    traced?.follow(reply)
    return reply
  }

  /**
   * Ends a sink's hold on a call: what its flow emits later waits for the
   * call's next event. What the sink could not take is kept at once, with
   * the call's record, not at its next event.
   */
  release (id: string, sink: ActionSink): void {
    const call = this.#calls.get(id)
    if (call?.sink !== sink) return
    call.released()
    if (call.pending.length > 0) this.#settleLater(call)
  }

  /** The ids of the calls held by this instance, the most recently active last. */
  ids (): string[] {
    return this.#calls.ids()
  }

  /**
   * How many entries each per-call map of this instance holds, by map: once
   * no call is held here and none is running, every count is 0.
   */
  perCall (): Record<string, number> {
    return { calls: this.#calls.size, actors: this.#host.running, ...this.#work.held, due: this.#due.size, live: this.#live.size, retries: this.#turns.retrying }
  }

  /** Tells `watcher` about every change and end of a call held here; returns a function that stops it. */
  watch (watcher: CallWatcher): () => void {
    return this.#observers.watch(watcher)
  }

  /** Tells `observer` of every turn, as the `observe` option is; returns a function that stops it. */
  observe (observer: (turn: CallTurn) => void): () => void {
    return this.#observers.observe(observer)
  }

  /** Tells `watcher` of every function tool run of the calls held here, once it ended; returns a function that stops it. */
  watchTools (watcher: ToolWatcher): () => void {
    return this.#observers.watchTools(watcher)
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
    // Without its session, the call's record's stands in once loaded.
    this.#settleLater(this.#calls.get(id) ?? this.#calls.adopt(id, { id } as Session, this.#settleLater))
  }

  /** One function for every admission that finds the limit reached: no closure on each new call's path. */
  readonly #sweepNow = (): void => { this.sweep() }

  /** Expires every call idle for longer than `sessionTtl`. */
  sweep (now = Date.now()): void {
    for (const call of this.#calls.idle(now)) this.#turns.expire(call)
  }

  /** Lets go of every call (as {@link closeCalls} says), then closes the store. */
  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    const { replyTimeout, drainTimeout, log } = this.#options
    const parts = { calls: this.#calls, tasks: this.#tasks, turns: this.#turns, work: this.#work, due: this.#due, live: this.#live }
    await closeCalls({ ...parts, duties: this.#duties, unwatchEnds: this.#unwatchEnds, replyTimeout, drainTimeout, log })
    await this.#options.store.close?.()
  }

  /**
   * A turn without an event, queued once however many changes call for it. It never rejects: one that failed is tried again.
   * One function for every call, which calls it when their last turn leaves something in their inbox.
   */
  readonly #settleLater = (call: Call): void => {
    if (call.queueSettle()) this.#tasks.run(call, (claim) => this.#turns.settle(call, claim), true, true)
  }

  /** Something happened to the call: the turn running applies it, or else a turn of its own. */
  #post (id: string, input: CallInput): void {
    // A call's work is stopped whenever the call is let go here (ended, expired, the registry closed), and its delays with its actor.
    const call = this.#calls.get(id) as Call
    call.post(input)
    if (call.inFlight === 0) this.#settleLater(call)
  }

  /** What the turns ask of the calls held here. */
  #holder (): CallHolder {
    return {
      touched: (call) => { this.#calls.touched(call) },
      letGo: (call) => this.#remove(call),
      restart: (call) => {
        call.restart(Date.now())
        this.#ended(call)
      },
      changed: (call) => { this.#observers.changed(call.id, false) },
      settleLater: (call) => { if (this.#holds(call)) this.#settleLater(call) },
      holds: (call) => this.#holds(call)
    }
  }

  /** Whether `call` is the object held here for its id: not let go of, nor replaced. */
  #holds (call: Call): boolean {
    return this.#calls.get(call.id) === call
  }

  #remove (call: Call): void {
    this.#work.abandon(call.id)
    call.end()
    this.#calls.delete(call)
    this.#ended(call)
  }

  /** The call as it was is over here: watchers see it end. */
  #ended (call: Call): void {
    this.#due.set(call.id, undefined)
    this.#live.forget(call)
    this.#observers.changed(call.id, true)
  }
}
