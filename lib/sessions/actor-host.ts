import { createActor, type AnyActor, type AnyActorRef, type AnyStateMachine, type InspectionEvent, type Observer } from 'xstate'
import { formatProblems, validateAction, type AiFlowAction, type FlowAction, type Session } from '../protocol'
import { warnNewerNames } from './newer-names-warning'
import { CorruptRecordError, FlowError, FlowVersionError, InvalidActionError } from '../errors'
import { messageOf } from '../error-message'
import { activeWork, anySettled, armTimers, CallClock, fireTimer, type Clock } from './xstate-adapter'
import type { Call, CallInput } from './call'
import type { RestoredWork, WorkRunner } from './work-runner'
import type { CallTelemetry } from '../telemetry'
import type { Logger } from './logger'
import { recordProblem } from './record'
import type { SessionRecord } from '../stores/store'
import { REPLY_DEADLINE, type ReplyDeadlineEvent } from '../flow/reply-deadline'
import { hookModelCalls, type ModelCallHook } from '../agent/model-calls'
import { observeAgentTurns, type AgentTurnObserver } from '../agent/turn-observer'
import { realClock } from './real-clock'

export type { Clock } from './xstate-adapter'

export { realClock } from './real-clock'

export interface ActorHostOptions {
  flow: AnyStateMachine
  flowVersion: string
  /** Older flows, by version, for calls started with them. */
  flows: Record<string, AnyStateMachine>
  /** How long a reply waits for promise work its event started, in ms. */
  replyTimeout: number
  /** What the caller gets when the flow fails. */
  fallback: (session: Session) => FlowAction[]
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Runs the flow's delays; the simulator hands in one it moves itself. Default: real time. */
  clock?: Clock
  /** The time on that clock, in ms: due times of delays are kept in it. */
  now: () => number
  log: Logger
  /** Told when a call changed while none of its turns was running. */
  changed: (call: Call) => void
  /** Told when one of a call's delays is due: the registry applies it in a turn of the call. */
  due: (call: Call, input: CallInput) => void
  /** Runs the promise work of every call's actor. */
  work: WorkRunner
  /** Told of flow failures and late actions. */
  telemetry?: CallTelemetry
  /** Takes part in the model calls of each call's agent states. */
  modelCalls?: (callId: string, session: Readonly<Record<string, unknown>>) => ModelCallHook
  /** Measures the turns of each call's agent states; none for flows without one. */
  agentTurns?: (callId: string) => AgentTurnObserver
}

/** How a call is brought in line with its record. */
export interface Restore {
  /** The live copy here is the call's current state: the store's mode decides (`CallRecords.current`). */
  current: boolean
  /** Which owners of the record's work live: the work of those that do is not run again here. */
  alive?: ReadonlySet<string>
  /** The call is ending: its flow hears only its end. */
  ending?: boolean
}

const none: ReadonlySet<AnyActorRef> = new Set()
const replyDeadline: ReplyDeadlineEvent = Object.freeze({ type: REPLY_DEADLINE })
const nobody: ReadonlySet<string> = new Set()

/** Gives the flow its `session_id`: the wire wants it second, after `type`. */
export function toWire (action: FlowAction, sessionId: string): AiFlowAction {
  // One copy: `type` keeps its place at the front, every other field follows in the flow's order.
  return Object.assign({ type: action.type, session_id: sessionId }, action) as AiFlowAction
}

/**
 * Runs the flow's actors: starts or restores one per call, routes what it
 * emits, waits for the work an event starts, and turns any failure of the
 * flow into the fallback reply instead of a crash or a silent call.
 */
export class ActorHost {
  readonly #options: ActorHostOptions
  /** Actors started here and not stopped since: none once no call is held here. */
  #running = 0

  constructor (options: ActorHostOptions) {
    this.#options = options
  }

  /** Starts the call's actor, fresh or from a persisted snapshot, with the flow given or this instance's. */
  start (call: Call, snapshot?: unknown, flow = this.#options.flow, restored?: RestoredWork): void {
    // XState never throws here: a snapshot it cannot restore, or a context
    // that throws, puts the actor in error, which the observer reports.
    // Every delay of the call goes through its own clock, so that it fires in a turn of the call.
    const clock = new CallClock(this.#options.clock ?? realClock, this.#options.now, (apply) => this.#options.due(call, { actor, apply }))
    const actor: AnyActor = createActor(flow, {
      id: call.id,
      input: { session: call.session },
      snapshot: snapshot as never,
      inspect: this.#options.inspect,
      clock
    })
    clock.attach(actor)
    const hook = this.#options.modelCalls?.(call.id, call.session)
    if (hook !== undefined) hookModelCalls(actor.system, hook)
    const turns = this.#options.agentTurns?.(call.id)
    if (turns !== undefined) observeAgentTurns(actor.system, turns)
    const started = this.#options.work.route(call, actor, restored)
    call.live(actor)
    actor.on('*', (emitted) => this.#emitted(call, emitted as FlowAction))
    this.#running++
    actor.subscribe({
      // A change outside the call's turns (work that ended, a child's event) is kept by a turn of its own.
      next: () => { if (call.inFlight === 0 && call.actor === actor) this.#options.changed(call) },
      error: (err) => {
        this.#running--
        this.fail(call, new FlowError(messageOf(err), { cause: err }))
      },
      // Stopped, or at its final state.
      complete: () => { this.#running-- }
    })
    actor.start()
    started()
  }

  /** How many actors started here are not stopped yet. */
  get running (): number {
    return this.#running
  }

  /** Applies what happened to the call since its last turn, in order; what a stale copy armed is dropped. */
  applyInbox (call: Call): void {
    if (call.inbox.length === 0) return
    for (const input of call.takeInbox()) {
      const actor = call.actor
      if (actor !== undefined && !call.failed && (input.actor === undefined || input.actor === actor)) input.apply(actor)
    }
  }

  /**
   * Makes sure the call's actor matches the stored record, or marks the call
   * failed. Returns the work the event is not to wait for: `known`, and
   * what a restored snapshot begins again, which is an earlier event's.
   */
  prepare (call: Call, record: SessionRecord | undefined, known: ReadonlySet<AnyActorRef>, { current, alive = nobody, ending = false }: Restore): ReadonlySet<AnyActorRef> {
    if (call.failed) return known
    if (call.actor !== undefined && current) return known
    if (call.actor !== undefined) call.park()
    if (record === undefined) {
      call.begins()
      this.start(call)
      return known
    }
    const problem = recordProblem(record, call.id)
    if (problem !== undefined) {
      call.dropRecord()
      this.fail(call, new CorruptRecordError(problem))
      return known
    }
    call.matches(record)
    const flow = this.#flowOf(record)
    if (flow === undefined) {
      this.fail(call, new FlowVersionError(record.version, this.#options.flowVersion))
      return known
    }
    call.resumes(record)
    // What the record still has to send, not what a stale copy of the call held.
    call.replaceReply(record.pending)
    if (record.failed) {
      call.fail()
      return known
    }
    const work = record.work ?? []
    // An ending call only hears its end: its work is not begun again, nor are its overdue delays fired.
    this.start(call, record.snapshot, flow, { work, alive: ending ? new Set(work.map((item) => item.owner)) : alive })
    if (ending) return known
    this.#rearm(call, record)
    const restarted = this.runningWork(call)
    return restarted.size === 0 ? known : new Set([...known, ...restarted])
  }

  /** Puts the record's delays back on the clock; those already due fire now, before anything else reaches the call. */
  #rearm (call: Call, record: SessionRecord): void {
    const actor = call.actor as AnyActor
    const { overdue, lost } = armTimers(actor, record.timers ?? [], this.#options.now())
    if (lost.length > 0) this.#options.log.warn({ sessionId: call.id, lost: lost.map((timer) => timer.event.type) }, 'delays of actors no longer in the call were dropped')
    for (const timer of overdue) if (call.actor === actor && !call.failed) fireTimer(actor, timer)
  }

  /** The flow a stored call was started with, when this instance has it. */
  #flowOf (record: SessionRecord): AnyStateMachine | undefined {
    const { flow, flowVersion, flows } = this.#options
    if (record.version === flowVersion || record.failed) return flow
    return Object.hasOwn(flows, record.version) ? flows[record.version] : undefined
  }

  /** The promise work running for a call now, which an event to come will not wait for. */
  runningWork (call: Call): ReadonlySet<AnyActorRef> {
    if (call.actor === undefined) return none
    const work = activeWork(call.actor, none)
    return work.length === 0 ? none : new Set(work)
  }

  /**
   * Sends one event and waits, up to the reply deadline, for the promise
   * actors started since `known` was taken (and those they lead to); at the
   * deadline the flow is sent {@link REPLY_DEADLINE}. A newer
   * event for the call ends the wait at once. A call with a sink is not
   * waited for: the sink takes what the work emits whenever it is done.
   * Returns nothing when there is nothing to wait for, as for most events:
   * no promise to make or await.
   */
  deliver (call: Call, event: { type: string }, known: ReadonlySet<AnyActorRef>): Promise<boolean> | undefined {
    const actor = call.actor as AnyActorRef
    actor.send(event)
    if (this.#done(call, false) || activeWork(actor, known).length === 0) return undefined
    return this.#wait(call, actor, known)
  }

  /** The wait is over: a newer event came, the flow failed, time is up, or a sink takes what comes. */
  #done (call: Call, expired: boolean): boolean {
    return call.waiting || call.failed || expired || call.sink !== undefined
  }

  /** Resolves true when the reply deadline ended the wait. */
  async #wait (call: Call, actor: AnyActorRef, known: ReadonlySet<AnyActorRef>): Promise<boolean> {
    let expired = false
    const deadline = setTimeout(() => { expired = true; call.interrupt() }, this.#options.replyTimeout).unref()
    try {
      for (;;) {
        const work = activeWork(actor, known)
        if (work.length === 0) return false
        const { settled, cancel } = anySettled(work)
        await Promise.race([settled, new Promise<void>((resolve) => { call.waitFor(resolve) })])
        cancel()
        if (expired && call.actor === actor && !call.failed) {
          // The reply goes now: what the flow says on the deadline (a filler) goes with it.
          actor.send(replyDeadline)
          return true
        }
        if (this.#done(call, expired)) return expired
        // A delay that came due meanwhile fires in this turn, as it would have in XState.
        this.applyInbox(call)
      }
    } finally {
      clearTimeout(deadline)
      call.stopWaiting()
    }
  }

  /**
   * Whether the call's actor can be stopped now and brought back from its
   * record. A call with child actors (work running), actions on their way
   * to its transport, or turns queued cannot. Its delays are in its record,
   * which brings them back when they are due.
   */
  parkable (call: Call): boolean {
    const actor = call.actor as AnyActorRef
    if (call.inFlight > 0 || call.outbox.length > 0 || call.inbox.length > 0) return false
    return Object.keys(actor.getSnapshot().children).length === 0
  }

  /** Ends the call's flow: the error is logged and the fallback replaces the reply. */
  fail (call: Call, err: Error): void {
    if (call.failed) return
    call.fail()
    this.#options.telemetry?.flowFailed(call.id, err)
    this.#options.log.error({ err, sessionId: call.id }, 'flow failed; the caller gets the fallback reply')
    const fallback = this.#options.fallback(call.session).map((action) => toWire(action, call.id))
    if (call.replaceReply(fallback)) return
    if (call.sink !== undefined) {
      call.replaceOutbox(fallback)
    } else {
      call.replacePending(fallback)
      if (call.inFlight === 0) this.#options.changed(call)
    }
  }

  #emitted (call: Call, action: FlowAction): void {
    const wire = toWire(action, call.id)
    const result = validateAction(wire)
    if (!result.ok) {
      this.fail(call, new InvalidActionError(formatProblems(result.problems, String(action.type))))
      return
    }
    warnNewerNames(result.value, this.#options.log, call.id)
    this.#options.telemetry?.actionEmitted(call.id, wire.type, !call.answering)
    // Outside a turn, the snapshot change that comes with the emission has the call kept.
    call.collect(wire)
  }
}
