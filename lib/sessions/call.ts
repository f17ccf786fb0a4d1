import { randomInt } from 'node:crypto'
import type { AnyActor, AnyActorRef } from 'xstate'
import type { AiFlowAction, Session } from '../protocol'
import type { SessionRecord } from '../stores/store'
import { pendingTimers } from './xstate-adapter'
import { capturedWork } from './work-runner'
import type { Claim } from './call-lock'

/** A turn of a call, given its place in the lock's line when the store has one. */
export type CallTask<T> = (claim: Claim | undefined) => Promise<T>

/**
 * Something that happened to a call between its events: a delay of its
 * flow came due, or its work ended. It is applied in a turn of the call.
 */
export interface CallInput {
  /** For a delay, the actor that armed it: a call restored since has its own copy of it. Work applies to whichever copy is current. */
  actor?: AnyActorRef
  apply: (actor: AnyActorRef) => void
}

/** Shared by every idle call, so that an idle call holds no closure or promise of its own. */
export const noop = (): void => {}
/** What a deferred task of an idle call waits for: the next microtask. */
const nextTick: Promise<unknown> = Promise.resolve()
/**
 * How many incarnations a call's id may be drawn from: 2³⁰, so that one is a
 * small integer V8 keeps in the field itself, not a 16 B heap number on each
 * call. Two beginnings of one id share one in a billion.
 */
const INCARNATIONS = 2 ** 30

/**
 * The list every call starts with, and goes back to, while it has nothing
 * in it: one array shared by every idle call instead of three of its own.
 * Never pushed to: `added` puts a new array in its place.
 */
const nothing: never[] = Object.freeze([]) as never[]

/** The list, or the shared empty one in place of an empty list: a parked call keeps no empty arrays of its own. */
function orNothing<T> (list: T[]): T[] {
  return list.length === 0 ? nothing : list
}

/** `list` with `items` at its end: the same array, or a new one in place of the shared empty one. */
function added<T> (list: T[], items: T[]): T[] {
  if (list === nothing) return items.slice()
  list.push(...items)
  return list
}

const noKeys = Object.freeze({})

/**
 * The snapshot's keys on an object of one shape for every call, an empty
 * `historyValue` or `children` shared: XState makes each persisted snapshot
 * with an object rest, which gives every one a hidden class of its own, and
 * its restore builds these two anew. Some 400 B less for each parked call.
 */
function parkedShape (snapshot: Record<string, unknown>): Record<string, unknown> {
  // Its keys declared first, in XState's order; whatever a later XState adds comes after them.
  const copy: Record<string, unknown> = { status: undefined, output: undefined, error: undefined, value: undefined, historyValue: undefined, context: undefined, children: undefined, ...snapshot }
  copy.historyValue = orNoKeys(copy.historyValue as object)
  copy.children = orNoKeys(copy.children as object)
  return copy
}

function orNoKeys (value: object): object {
  return Object.keys(value).length === 0 ? noKeys : value
}

/**
 * Where a call stands on this instance, changed only by the call's own
 * methods: `new` until its first turn; `live` while its actor runs here;
 * `parked` while its record holds it (stored to make room, or moved on by
 * another instance, or a copy whose save failed); `failed` once its flow
 * has failed (it gets no more replies); `ended` once it is over here.
 */
export type CallStatus = 'new' | 'live' | 'parked' | 'failed' | 'ended'

/**
 * Where a push transport takes a call's actions. Returns false when it
 * cannot take them (its socket is closing): they wait for the call's next event.
 */
export type ActionSink = (actions: AiFlowAction[]) => boolean

/**
 * One call as this instance holds it: its actor, the actions waiting for a
 * reply, and the queue that lets its events through one at a time.
 */
export class Call {
  readonly id: string
  #session: Session
  #status: CallStatus = 'new'
  #actor: AnyActor | undefined
  /** The revision of the stored record the actor matches. */
  #revision = 0
  /** Which beginning of the call this copy is of: drawn when it begins here, or the record's. */
  #incarnation: number | undefined
  /** The flow version the call was started with; undefined: this instance's. */
  #version: string | undefined
  /** A parked call's record, until an in-process store has it. */
  #parked: SessionRecord | undefined
  /** A shared store's lock on the call, held while one of its events runs. */
  #token: string | undefined
  /**
   * The lock's line said an event of the call waits behind it. It counts
   * only while a turn of the call runs or waits here: let go of with the
   * lock, and once nothing is in flight (the wait for the lock gave up).
   */
  #contended = false
  #startedAt: number
  #lastEventAt: number
  /** Emitted after their reply had gone; they lead the next reply. */
  #pending: AiFlowAction[] = nothing
  /** While a turn runs, what the flow emits goes here: the turn's reply. */
  #reply: AiFlowAction[] | null = null
  #answering = false
  /** Events queued or running. */
  #inFlight = 0
  /** Turns without an event, queued or running: they never cut another turn's wait short. */
  #quiet = 0
  /** What happened to the call since its last turn, for the next turn to apply. */
  #inbox: CallInput[] = nothing
  /**
   * The turn without an event: `queued` (it will apply the inbox and keep
   * what the flow did on its own), or `held` while a failed one waits to be
   * tried again; none is queued meanwhile.
   */
  #settle: 'none' | 'queued' | 'held' = 'none'
  /** Wakes the turn waiting for work: something landed in the inbox. */
  #wake: () => void = noop
  /** Called when the call's last turn is done with something left in its inbox: one function for every call. */
  readonly #idle: (call: Call) => void
  /**
   * Takes what the flow emits while no reply is open, for transports that
   * can push (WebSocket). Without one, such actions wait for the next reply.
   * The transport of the call's latest event owns it.
   */
  #sink: ActionSink | undefined
  /** Actions on their way to the sink: those of one tick leave together, as one frame. */
  #outbox: AiFlowAction[] = nothing
  /** Ends the current event's wait for work early: a newer event has come. */
  #interrupt: () => void = noop
  /** The last task queued; undefined while none is queued or running. */
  #tail: Promise<unknown> | undefined

  constructor (id: string, session: Session, now: number, idle: (call: Call) => void = noop) {
    this.id = id
    this.#session = session
    this.#startedAt = now
    this.#lastEventAt = now
    this.#idle = idle
  }

  get session (): Session { return this.#session }
  get revision (): number { return this.#revision }
  get version (): string | undefined { return this.#version }
  get parked (): SessionRecord | undefined { return this.#parked }
  get token (): string | undefined { return this.#token }
  get lastEventAt (): number { return this.#lastEventAt }
  get pending (): readonly AiFlowAction[] { return this.#pending }
  get inFlight (): number { return this.#inFlight }
  get inbox (): readonly CallInput[] { return this.#inbox }
  get outbox (): readonly AiFlowAction[] { return this.#outbox }

  /** Ends the current event's wait for work early: a newer event came, or its deadline. */
  interrupt (): void {
    this.#interrupt()
  }

  /** Something happened to the call: the next turn applies it, and the turn waiting for work looks again. */
  post (input: CallInput): void {
    this.#inbox = added(this.#inbox, [input])
    this.#wake()
  }

  /** Hands what happened since the last turn to the turn that applies it. */
  takeInbox (): CallInput[] {
    const inbox = this.#inbox
    this.#inbox = nothing
    return inbox
  }

  /** The turn waits for work: `resolve` is called when a newer event comes or something is posted. */
  waitFor (resolve: () => void): void {
    this.#interrupt = resolve
    this.#wake = resolve
  }

  stopWaiting (): void {
    this.#interrupt = noop
    this.#wake = noop
  }

  /** Which beginning of the call this copy is of; undefined for a record written before incarnations were kept. */
  get incarnation (): number | undefined { return this.#incarnation }

  /** This copy is restored from `record`: the call's version, revision and incarnation are the record's. */
  matches (record: SessionRecord): void {
    this.#parked = undefined
    this.#version = record.version
    this.#revision = record.revision
    this.#incarnation = record.incarnation
  }

  /**
   * The call begins here, with no record to go on from (none yet, or its
   * call ended): whatever this copy was of, it is of a new call now.
   */
  begins (): void {
    // 30 random bits, a number (where a random string would be 50 B more a call: randomUUID's, a rope of pieces, 450 B);
    // `| 0` makes it a small integer: randomInt answers a heap number, which a field would keep as it is.
    this.#incarnation = randomInt(INCARNATIONS) | 0
  }

  /** `record` is what this copy last saved or was restored from: of the same beginning of the call, at the same revision. */
  isCopyOf (record: SessionRecord): boolean {
    return record.revision === this.#revision && record.incarnation === this.#incarnation
  }

  /** The call resumes as the record holds it: its session and its start. */
  resumes (record: SessionRecord): void {
    this.#session = record.session
    this.#startedAt = record.startedAt
  }

  /** The call's record was written at `revision`. */
  savedAs (revision: number): void {
    this.#revision = revision
  }

  /** The record of a call being parked, kept here until an in-process store has it. */
  keepRecord (record: SessionRecord): void {
    this.#parked = record
  }

  /** The store has `record`; false when the call was taken back meanwhile (restored or ended), so what was written is stale. */
  recordStored (record: SessionRecord): boolean {
    if (this.#parked === record) this.#parked = undefined
    else if (this.#parked === undefined) return false
    return true
  }

  /** The record kept here is no longer the call's (it ended). */
  dropRecord (): void {
    this.#parked = undefined
  }

  /** The shared store's lock is this turn's, under `token`. */
  locked (token: string | undefined): void {
    this.#token = token
  }

  /** The lock is let go: returns its token; no event waits behind it any longer as far as this copy knows. */
  unlocked (): string {
    const token = this.#token as string
    this.#token = undefined
    this.#contended = false
    return token
  }

  /**
   * An event of the call lined up for its lock (on any instance, this one
   * too): the turn running stops waiting for work. Heard with nothing in
   * flight here, it is late, and about no turn of this instance.
   */
  contention (): void {
    if (this.#inFlight === 0) return
    this.#contended = true
    this.#interrupt()
  }

  /** The flow failed: its fallback goes to the sink in place of what was on its way. */
  replaceOutbox (actions: AiFlowAction[]): void {
    this.#outbox = nothing
    this.push(actions)
  }

  /** The flow failed: its fallback leads the next reply in place of what waited. */
  replacePending (actions: AiFlowAction[]): void {
    this.#pending = actions
  }

  /** The transport of the call's latest event, when it can push: it takes what the flow emits between events. */
  get sink (): ActionSink | undefined {
    return this.#sink
  }

  /** An event came, over `sink` (undefined: a transport that cannot push): what the previous one is owed leaves first. */
  touched (now: number, sink: ActionSink | undefined): void {
    this.#lastEventAt = now
    this.flush()
    this.#sink = sink
  }

  /** The sink lets go of the call: what the flow emits from now on waits for its next event. */
  released (): void {
    this.#sink = undefined
    this.flush()
  }

  /** Asks for a turn without an event; false when one is queued already, or held back. */
  queueSettle (): boolean {
    if (this.#settle !== 'none') return false
    this.#settle = 'queued'
    return true
  }

  /** The turn without an event begins: whatever happens to the call from now on needs another. */
  settleStarted (): void {
    this.#settle = 'none'
  }

  /** A turn without an event failed: none is queued until `releaseSettles`, when it is tried again. */
  holdSettles (): void {
    this.#settle = 'held'
  }

  releaseSettles (): void {
    this.#settle = 'none'
  }

  /** What a turn said and could not send: it leads the next reply. */
  holdForNextReply (actions: AiFlowAction[]): void {
    if (actions.length > 0) this.#pending = actions.concat(this.#pending)
  }

  /** Another instance moved the call on: this copy and what it would have said go; its record holds the call. */
  movedOn (): void {
    this.stored()
  }

  /** The call's record is kept, with what waited for a reply: the actor stops, and the record brings it back. */
  stored (): void {
    this.#stop('parked')
    this.#pending = nothing
  }

  /** Events queued here behind the one running: should the call end, the next of them begins a new one on this object. */
  get queued (): number {
    return Math.max(0, this.#inFlight - this.#quiet - 1)
  }

  /** An event waits behind the one running, here or on another instance: the turn does not wait for work. */
  get waiting (): boolean {
    return this.#contended || this.queued > 0
  }

  /**
   * Runs `task` after every task queued before it: at once when the call is
   * idle, as it is for most events (the service sends a call's events one
   * after another), unless `defer`red to the next microtask. A newer event
   * cuts short the wait of the one running, as XState cuts short an
   * invocation whose state is left.
   */
  enqueue<T> (task: CallTask<T>, claim?: Claim, done: () => void = noop, defer = false, quiet = false): Promise<T> {
    this.#inFlight++
    if (quiet) this.#quiet++
    else this.#interrupt()
    const run = this.#run(this.#tail ?? (defer ? nextTick : undefined), task, claim, done, quiet)
    this.#tail = run
    return run
  }

  async #run<T> (previous: Promise<unknown> | undefined, task: CallTask<T>, claim: Claim | undefined, done: () => void, quiet: boolean): Promise<T> {
    try {
      // Whatever became of the previous task, this one runs after it.
      if (previous !== undefined) await previous.then(noop, noop)
      if (quiet) this.#quiet--
      return await task(claim)
    } finally {
      // The last task done: the tail goes, and with it the last reply.
      if (--this.#inFlight === 0) {
        this.#tail = undefined
        // No turn runs or waits for the lock here: no event waits behind one.
        this.#contended = false
        if (this.#inbox.length > 0) this.#idle(this)
      }
      // After the turn this one leaves queued (work that ended meanwhile) is counted: closing waits for both.
      done()
    }
  }

  /** The reply of a turn with an event is open: what the flow emits now answers that event, and is not late. */
  get answering (): boolean {
    return this.#reply !== null && this.#answering
  }

  /** Opens the turn's reply, led by what waited for it; `answering` an event, or (a turn without one) for the next reply. */
  openReply (answering: boolean): void {
    this.#reply = this.#pending
    this.#answering = answering
    this.#pending = nothing
  }

  /**
   * Puts `actions` in place of what the open reply holds: a restored
   * record's own, not what a stale copy held, or the fallback of a failed
   * flow. False when no reply is open.
   */
  replaceReply (actions: readonly AiFlowAction[]): boolean {
    if (this.#reply === null) return false
    this.#reply = actions.slice()
    return true
  }

  /** Closes the turn's reply and hands it over. */
  closeReply (): AiFlowAction[] {
    // Only a turn closes its reply, once, after opening it.
    const reply = this.#reply as AiFlowAction[]
    this.#reply = null
    return reply
  }

  /** Routes an action the flow emitted: into the open reply, or to the next one. */
  collect (action: AiFlowAction): void {
    if (this.#reply !== null) this.#reply = added(this.#reply, [action])
    else if (this.#sink !== undefined) this.push([action])
    else this.#pending = added(this.#pending, [action])
  }

  /** Forgets the call that ended; the next event starts a new one. */
  restart (now: number): void {
    this.#stop('new')
    this.#version = undefined
    this.#pending = nothing
    this.#startedAt = now
    this.#lastEventAt = now
  }

  /** Queues actions for the sink; what is queued within one tick is handed over at once. */
  push (actions: AiFlowAction[]): void {
    if (actions.length === 0) return
    if (this.#outbox.length === 0) queueMicrotask(() => this.flush())
    this.#outbox = added(this.#outbox, actions)
  }

  /** Hands the queued actions to the sink, or keeps them for the next reply when it cannot take them. */
  flush (): void {
    if (this.#outbox.length === 0) return
    const batch = this.#outbox
    this.#outbox = nothing
    if (this.#sink === undefined || !this.#sink(batch)) this.#pending = added(this.#pending, batch)
  }

  get status (): CallStatus {
    return this.#status
  }

  /** The call's actor while it is live here. */
  get actor (): AnyActor | undefined {
    return this.#actor
  }

  get failed (): boolean {
    return this.#status === 'failed'
  }

  /** Its actor runs here from now on. */
  live (actor: AnyActor): void {
    this.#actor = actor
    this.#status = 'live'
  }

  /** Its actor stops: its record holds the call, which its next turn restores. */
  park (): void {
    this.#stop('parked')
  }

  /** Its flow failed: it gets no more replies, only the fallback it was given. */
  fail (): void {
    this.#stop('failed')
  }

  /** It is over here. */
  end (): void {
    this.#stop('ended')
  }

  #stop (status: CallStatus): void {
    const actor = this.#actor
    this.#actor = undefined
    this.#status = status
    actor?.stop()
    if (status !== 'parked') this.#inbox = nothing
    this.#interrupt()
  }

  toRecord (version: string, revision = this.#revision): SessionRecord {
    const actor = this.actor
    return {
      version: this.#version ?? version,
      snapshot: actor === undefined ? undefined : parkedShape(actor.getPersistedSnapshot() as Record<string, unknown>),
      timers: actor === undefined ? nothing : orNothing(pendingTimers(actor)),
      work: actor === undefined ? nothing : orNothing(capturedWork(actor)),
      // A copy: the store may keep this very object, and the call's own array changes later.
      pending: this.#pending.length === 0 ? nothing : this.#pending.slice(),
      session: this.#session,
      failed: this.failed,
      revision,
      incarnation: this.#incarnation,
      startedAt: this.#startedAt,
      updatedAt: this.#lastEventAt
    }
  }
}
