import { randomUUID } from 'node:crypto'
import type { AnyActorRef } from 'xstate'
import { setWorkKey, workKey } from '../flow/work-key'
import type { EventObject } from 'xstate'
import { activeWork, actorAt, actorPath, routeWork, settleWork, tellInvoker, type RunWork } from './xstate-adapter'
import type { CallTelemetry } from '../telemetry'
import type { WorkEnd } from '../telemetry/work-spans'
import type { WorkRecord } from '../stores/store'

export type { WorkRecord } from '../stores/store'

/** What became of a piece of work, for the call's next turn to apply. */
export interface WorkResult {
  key: string
  path: string
  ok: boolean
  data: unknown
}

/** An event a piece of work emitted while it ran, for the call's next turn to hand to the state that invoked it. */
export interface WorkNews {
  key: string
  path: string
  event: EventObject
}

/** The work of a restored call's record, and which of its owners are still alive. */
/** What the key of a call's work is made of. */
export interface WorkOfCall {
  readonly id: string
  /** The revision of the record the call's actor matches: its work's start is saved with the next. */
  readonly revision: number
  readonly incarnation: number | undefined
}

export interface RestoredWork {
  work: readonly WorkRecord[]
  alive: ReadonlySet<string>
}

interface Running {
  callId: string
  /** The revision of the call's record that the turn starting it here was to write: until that is written, the call has not kept it. */
  revision: number
  controller: AbortController
  /** Settled: its result waits to be applied in a turn of the call, or to be kept with the call's record. */
  settled: boolean
  /** Once settled: what it came to. */
  result?: WorkResult
  /** Ends its telemetry span (`noSpan` when it has none, or has ended it). */
  end: WorkEnd
  /** Resolves once its promise has settled, whatever became of it. */
  done: Promise<void>
}

const noSpan: WorkEnd = () => {}
const settledPromise = Promise.resolve()

/** What the flow calls the work: its name in `setup({ actors })`, else (inline logic) its invocation's id. */
function srcOf (ref: AnyActorRef): string {
  // XState names inline invoked logic itself (`xstate.invoke.0.(machine).state`).
  return typeof ref.src === 'string' && !ref.src.startsWith('xstate.') ? ref.src : ref.id
}

/** Who runs each invocation: this instance, or (a stand-in's) the one it waits for. */
const owners = new WeakMap<AnyActorRef, string>()

/** The work running in the actor's tree, with who runs it, for the call's record. */
export function capturedWork (actor: AnyActorRef): WorkRecord[] {
  const work = activeWork(actor, none)
  if (work.length === 0) return []
  // Every piece of work started in a call's tree went through the runner, which gave it a key and an owner.
  return work.map((child) => ({ key: workKey(child) as string, path: actorPath(child), owner: owners.get(child) as string }))
}

const none: ReadonlySet<AnyActorRef> = new Set()

/**
 * Runs the promise work of this instance's calls. Work belongs to the
 * instance that started it, not to a copy of the call's actor: a copy of
 * the call restored elsewhere meanwhile stands in for it, and does not run
 * it again. Its result comes back to the call as an input of its next turn,
 * on whichever copy is current then. Only when its owner is gone does a
 * restored copy run the work again, with the same key.
 */
export class WorkRunner {
  /** This instance, as work records name their owner. */
  readonly instance = randomUUID()
  readonly #running = new Map<string, Running>()
  /** How many pieces of work each call has here. */
  readonly #calls = new Map<string, number>()
  readonly #done: (callId: string, result: WorkResult) => void
  readonly #told: (callId: string, news: WorkNews) => void
  readonly #telemetry: CallTelemetry | undefined

  /** `done` takes each piece of work's end, `told` what it emits while it runs; both apply them in a turn of the call. */
  constructor (done: (callId: string, result: WorkResult) => void, told: (callId: string, news: WorkNews) => void, telemetry?: CallTelemetry) {
    this.#done = done
    this.#told = told
    this.#telemetry = telemetry
  }

  /** Entries of its per-call maps: the work running here, and the calls it runs for. */
  get held (): { work: number, workCalls: number } {
    return { work: this.#running.size, workCalls: this.#calls.size }
  }

  /**
   * Routes the work of a call's new actor here. While it starts from a
   * record, `restored` tells what that record's work is; returns what ends
   * that, once the actor has started.
   */
  route (call: WorkOfCall, actor: AnyActorRef, restored?: RestoredWork): () => void {
    let restoring = restored
    const callId = call.id
    routeWork(actor, {
      start: (self, run) => {
        const path = actorPath(self)
        const listed = restoring?.work.find((work) => work.path === path)
        // The revision its start is saved with.
        const revision = call.revision + 1
        // A call begun again under its id counts its revisions from 1 again: its incarnation tells its work from the ended one's.
        const key = listed?.key ?? `${callId}:${call.incarnation ?? 0}.${revision}:${path}`
        setWorkKey(self, key)
        const running = this.#running.get(key)
        if (running !== undefined && (!running.settled || listed !== undefined)) {
          // Running here already, for an earlier copy of the call: its result reaches this one. One the record lists
          // that settled already was applied to an earlier copy whose record could not be kept: it comes again.
          if (running.result !== undefined) this.#done(callId, running.result)
          return owners.set(self, this.instance)
        }
        // Settled and applied, its invocation over: this is a new one in its place in the same turn.
        if (running !== undefined) this.#forget(key, running)
        if (listed !== undefined && listed.owner !== this.instance && restoring?.alive.has(listed.owner) === true) {
          return owners.set(self, listed.owner)
        }
        owners.set(self, this.instance)
        this.#run(callId, revision, key, path, run, srcOf(self))
      }
    })
    return () => { restoring = undefined }
  }

  /**
   * Settles the invocation the result is for, if the actor still runs it; true when it did. The result is held here
   * until the call's record is kept without the invocation ({@link abandon}): should that save fail, the turn that
   * restores the call from its record gets the result again.
   */
  apply (actor: AnyActorRef, result: WorkResult): boolean {
    const child = actorAt(actor, result.path)
    if (child === undefined || workKey(child) !== result.key || child.getSnapshot().status !== 'active') return false
    settleWork(child, result.ok, result.data)
    return true
  }

  /** Hands what a piece of work emitted to the state that invoked it, if the actor still runs it; true when it did. */
  tell (actor: AnyActorRef, news: WorkNews): boolean {
    const child = actorAt(actor, news.path)
    if (child === undefined || workKey(child) !== news.key || child.getSnapshot().status !== 'active') return false
    tellInvoker(child, news.event)
    return true
  }

  /** Stops this call's work that its actor no longer runs (it left the state), or all of it. */
  abandon (callId: string, actor?: AnyActorRef): void {
    if (!this.#calls.has(callId)) return
    const kept = new Set(actor === undefined ? [] : capturedWork(actor).map((work) => work.key))
    for (const [key, running] of this.#running) {
      if (running.callId !== callId || kept.has(key)) continue
      this.#abort(key, running)
    }
  }

  /**
   * The call's record could not be written at the revision after `kept`:
   * the event (or the turn without one) that started work here since has no
   * effect, its work included, which is stopped through its signal. Its
   * retry, here or elsewhere, starts that work afresh, under the same key.
   * Work the record lists goes on. True when the call needs a turn of its
   * own soon: some work stopped (it runs again if this instance is still
   * named its owner), or a result is held here that no kept record has
   * applied (the turn that restores the call applies it again).
   */
  abandonUnkept (callId: string, kept: number): boolean {
    let again = false
    for (const [key, running] of this.#running) {
      if (running.callId !== callId) continue
      if (running.settled) again = true
      if (running.revision <= kept) continue
      this.#abort(key, running)
      again = true
    }
    return again
  }

  /** The calls this instance runs work for (or holds the result of, not yet kept with the call). */
  calls (): Iterable<string> {
    return this.#calls.keys()
  }

  /** Some work runs here that has not settled yet. */
  get busy (): boolean {
    for (const running of this.#running.values()) if (!running.settled) return true
    return false
  }

  /** Resolves once every piece of work running now has settled (its result is then on its way to its call). */
  async settled (): Promise<void> {
    await Promise.all([...this.#running.values()].map((running) => running.done))
  }

  /**
   * Stops every piece of work, through its signal, and forgets it: what it
   * does from now on reaches no call. Resolves once each has settled, or
   * after `patience` ms for work that does not heed its signal.
   */
  async stop (patience: number): Promise<void> {
    const stopped = [...this.#running.values()]
    for (const [key, running] of this.#running) this.#abort(key, running)
    if (stopped.length === 0) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, patience) })
    await Promise.race([Promise.all(stopped.map((running) => running.done)), late])
    clearTimeout(timer)
  }

  /** Forgets the work, and stops it through its signal unless it has settled: the signal of work that is over stays quiet. */
  #abort (key: string, running: Running): void {
    this.#forget(key, running)
    if (running.settled) return
    running.end(true)
    running.controller.abort()
  }

  #forget (key: string, running: Running): void {
    this.#running.delete(key)
    const count = (this.#calls.get(running.callId) as number) - 1
    if (count === 0) this.#calls.delete(running.callId)
    else this.#calls.set(running.callId, count)
  }

  #run (callId: string, revision: number, key: string, path: string, run: RunWork, src: string): void {
    const running: Running = { callId, revision, controller: new AbortController(), settled: false, end: this.#telemetry?.workStarted(callId, src) ?? noSpan, done: settledPromise }
    this.#running.set(key, running)
    this.#calls.set(callId, (this.#calls.get(callId) ?? 0) + 1)
    const settle = (ok: boolean, data: unknown): void => {
      if (this.#running.get(key) !== running) return
      running.settled = true
      running.result = { key, path, ok, data }
      running.end(ok, data)
      // Its span is over: a call that ends before the result is applied must not end it again.
      running.end = noSpan
      this.#done(callId, running.result)
    }
    // Once settled or stopped, the work has nothing more to say to the call.
    const tell = (event: EventObject): void => {
      if (this.#running.get(key) === running && !running.settled) this.#told(callId, { key, path, event })
    }
    running.done = run(running.controller.signal, tell).then((data) => settle(true, data), (err: unknown) => settle(false, err))
  }
}
