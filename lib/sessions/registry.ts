import type { AiFlowAction, Session } from '../protocol'
import { TooManyCallsError } from '../errors'
import type { SessionRecord } from '../stores/store'
import { ActorHost, realClock } from './actor-host'
import { Call, type ActionSink, type CallInput } from './call'
import { callRecords, type CallRecords } from './call-records'
import { CallTasks } from './call-tasks'
import { CallTurns, type CallHolder, type EventInput } from './call-turns'
import { LocalDueCalls } from './due-calls'
import { SharedStoreDuties } from './shared-duties'
import { routePromiseWork } from './xstate-adapter'
import { WorkRunner } from './work-runner'
import { LiveActors } from './live-actors'
import { recordProblem } from './record'
import { callView, type CallView } from './call-view'
import type { Logger } from './logger'
import type { CallTurn } from './call-turn'
import type { CallWatcher, DispatchOptions, IncomingEvent, RegistryOptions } from './registry-options'
import { CallAgentTurns, type ToolWatcher } from './agent-turns'
import { functionToolNames } from '../telemetry/tool-kinds'

export type { CallWatcher, DispatchOptions, RegistryOptions } from './registry-options'

/** How long closing waits for work that does not heed its signal, at most, in ms. */
const CLOSE_PATIENCE = 500
/** How long closing lets running work finish, with a shared store, before it hands the work over, in ms. */
export const DRAIN_TIMEOUT = 10_000

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
  /** Each is told of every function tool run of the calls held here. */
  readonly #toolWatchers = new Set<ToolWatcher>()
  /** The `observe` option and those added with `observe()`: each is told of every turn. */
  readonly #observers = new Set<(turn: CallTurn) => void>()
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
    if (options.observe !== undefined) this.#observers.add(options.observe)
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
      agentTurns: agents ? (id) => new CallAgentTurns(id, telemetry, this.#toolWatchers) : undefined,
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
      this.#admit(log, id)
      call = this.#adopt(id, event.session)
    }
    const current = call
    // Undefined while telemetry is off: nothing is made for it on an event's path.
    const traced = this.#options.telemetry?.eventStarted(event, transport, request)
    const input = { event, log, replyable, sink, traced }
    const reply = this.#observers.size === 0
      ? this.#tasks.run(current, (claim) => this.#turns.event(current, claim, input))
      : this.#observed(current, input)
    traced?.follow(reply)
    return reply
  }

  /** The turn, and then every observer (recording, simulators, live view) told of it. */
  #observed (call: Call, input: EventInput): Promise<AiFlowAction[]> {
    const { event, log, sink } = input
    const at = Date.now()
    return this.#tasks.run(call, async (claim) => {
      const reply = await this.#turns.event(call, claim, input)
      const observed = { at, event, reply, state: call.actor?.getSnapshot().value, pushed: sink !== undefined }
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
    call.released()
    if (call.pending.length > 0) this.#settleLater(call)
  }

  /** The ids of the calls held by this instance, the most recently active last. */
  ids (): string[] {
    return [...this.#calls.keys()]
  }

  /**
   * How many entries each per-call map of this instance holds, by map: once
   * no call is held here and none is running, every count is 0.
   */
  perCall (): Record<string, number> {
    return { calls: this.#calls.size, ...this.#work.held, due: this.#due.size, live: this.#live.size, retries: this.#turns.retrying }
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

  /** Tells `watcher` of every function tool run of the calls held here, once it ended; returns a function that stops it. */
  watchTools (watcher: ToolWatcher): () => void {
    this.#toolWatchers.add(watcher)
    return () => { this.#toolWatchers.delete(watcher) }
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
      this.#turns.expire(call)
    }
  }

  /**
   * Lets go of every call: events in flight are answered first. With a
   * shared store, running work then has `drainTimeout` ms to finish, its
   * results kept with its calls, while this instance goes on announcing
   * itself. Then every piece of work left (a model's stream too) is
   * stopped through its signal and waited for (work that ignores its
   * signal, briefly); with a shared store, this instance withdraws, and
   * its calls' work runs again elsewhere at once, with the same keys.
   * Last, the store is closed.
   */
  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweeper)
    // No call is woken here any longer; announcements go on while work finishes.
    this.#duties?.stopPolling()
    this.#due.clear()
    // With no work to let finish, a turn without an event that fails from now on is not tried again.
    const duties = this.#duties
    if (duties === undefined) this.#turns.stop()
    // Events in flight finish first: their replies go out and their locks are released.
    await this.#tasks.drain()
    if (duties !== undefined) {
      // Work has its time to finish, and what it leaves is kept (a failed keep tried again), before anything stops.
      await this.#drain(this.#options.drainTimeout ?? DRAIN_TIMEOUT)
      this.#turns.stop()
    }
    this.#unwatchEnds?.()
    const handed = [...this.#work.calls()]
    const stopped = this.#work.stop(Math.min(this.#options.replyTimeout, CLOSE_PATIENCE))
    for (const call of this.#calls.values()) call.end()
    this.#calls.clear()
    this.#live.clear()
    await stopped
    // Only once its work has stopped: another instance runs it again from now on.
    if (duties !== undefined) await this.#withdraw(duties, handed)
    await this.#options.store.close?.()
  }

  /** Lets running work finish, and its results be kept, for at most `timeout` ms. */
  async #drain (timeout: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    let over = false
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeout) })
    const finished = (async () => {
      // Applying a result may start more work: that too may finish in time.
      for (;;) {
        if (over || !this.#work.busy) return
        await this.#work.settled()
        await this.#tasks.drain()
      }
    })()
    await Promise.race([finished, late])
    over = true
    clearTimeout(timer)
  }

  async #withdraw (duties: SharedStoreDuties, handed: string[]): Promise<void> {
    const { log } = this.#options
    try {
      await duties.withdraw(handed)
      // A shared store keeps the calls themselves: only running work changes hands.
      if (handed.length > 0) log.info({ handedOver: handed.length }, 'closing: the calls with work still running here are handed over to the other instances')
    } catch (err) {
      log.warn({ err, handedOver: handed.length }, 'closing: withdrawing from the store failed; the other instances take over the work still running once this instance lapses')
    }
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
   * A turn without an event, queued once however many changes call for it. It never rejects: one that failed is tried again.
   * One function for every call, which calls it when their last turn leaves something in their inbox.
   */
  readonly #settleLater = (call: Call): void => {
    if (call.queueSettle()) this.#tasks.run(call, (claim) => this.#turns.settle(call, claim), true, true)
  }

  /** Holds a call here from now on; without its session, its record's stands in once loaded. */
  #adopt (id: string, session = { id } as Session): Call {
    const call = new Call(id, session, Date.now(), this.#settleLater)
    this.#calls.set(id, call)
    return call
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
      touched: (call) => {
        // The map is kept in order of last activity.
        this.#calls.delete(call.id)
        this.#calls.set(call.id, call)
      },
      letGo: (call) => this.#remove(call),
      restart: (call) => {
        call.restart(Date.now())
        this.#ended(call)
      },
      changed: (call) => { for (const watcher of this.#watchers) watcher(call.id, false) },
      settleLater: (call) => { if (this.#calls.get(call.id) === call) this.#settleLater(call) }
    }
  }

  #remove (call: Call): void {
    this.#work.abandon(call.id)
    call.end()
    this.#calls.delete(call.id)
    this.#ended(call)
  }

  /** The call as it was is over here: watchers see it end. */
  #ended (call: Call): void {
    this.#due.set(call.id, undefined)
    this.#live.forget(call)
    for (const watcher of this.#watchers) watcher(call.id, true)
  }
}
