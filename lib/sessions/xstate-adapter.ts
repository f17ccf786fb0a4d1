import type { ActorOptions, AnyActorLogic, AnyActorRef, AnyStateMachine, EventObject } from 'xstate'
import type { TimerRecord } from '../stores/store'

export type { TimerRecord } from '../stores/store'

/*
 * Everything that reaches into XState's internals lives in this file, with
 * tests (test/sessions/xstate-adapter.test.ts) that fail loudly when an
 * upgrade changes what it relies on:
 * - promise logic has no mark of its own: it is told apart by a probe;
 * - promise logic is routed through the registry's work runner by patching
 *   its `start` (in place: inline invocations cannot be swapped by `provide`);
 *   for actors of other systems it starts as it always did;
 * - the scheduler keeps pending delayed events in
 *   `system._snapshot._scheduledEvents` (`{ source, target, event, delay, id }`),
 *   and `system.scheduler.schedule` arms one; XState 5 persists none of them
 *   (statelyai/xstate#5331), so a call's record carries them itself.
 */

/** What runs a flow's delays: XState's clock interface, which it does not export by name. */
export type Clock = NonNullable<ActorOptions<AnyStateMachine>['clock']>

interface ScheduledEvent {
  source: AnyActorRef
  target: AnyActorRef
  event: EventObject
  delay: number
  id: string
  startedAt: number
}

interface Scheduler {
  schedule (source: AnyActorRef, target: AnyActorRef, event: EventObject, delay: number, id: string): void
}

interface SystemInternals {
  _snapshot: { _scheduledEvents: Record<string, ScheduledEvent> }
  scheduler: Scheduler
  _relay (source: AnyActorRef | undefined, target: AnyActorRef, event: EventObject): void
}

function internals (actor: AnyActorRef): SystemInternals {
  return actor.system as unknown as SystemInternals
}

/** When each scheduled event is due: XState stamps them with `Date.now()`, which a test clock does not move. */
const dueTimes = new WeakMap<ScheduledEvent, number>()

/**
 * The clock of one call's actor tree. XState arms every delay through it;
 * each delay, once due, is handed to `due` instead of firing on its own, so
 * that the registry fires it in a turn of the call, under the call's lock.
 */
export class CallClock implements Clock {
  readonly #inner: Clock
  readonly #now: () => number
  readonly #due: (fire: () => void) => void
  #actor!: AnyActorRef

  constructor (inner: Clock, now: () => number, due: (fire: () => void) => void) {
    this.#inner = inner
    this.#now = now
    this.#due = due
  }

  /** The call's root actor, once made: its system holds what is scheduled. */
  attach (actor: AnyActorRef): void {
    this.#actor = actor
  }

  setTimeout (fn: (...args: unknown[]) => void, delay: number): unknown {
    // XState files the event just before it asks for the timeout: it is the one without a due time.
    const scheduled = internals(this.#actor)._snapshot._scheduledEvents
    const dueAt = this.#now() + delay
    for (const key in scheduled) if (!dueTimes.has(scheduled[key])) dueTimes.set(scheduled[key], dueAt)
    return this.#inner.setTimeout(() => this.#due(fn), delay)
  }

  clearTimeout (handle: unknown): void {
    this.#inner.clearTimeout(handle)
  }
}

/** An actor's place in its call's tree: the ids from the root down, '' for the root itself. */
export function actorPath (ref: AnyActorRef): string {
  const ids: string[] = []
  for (let at: AnyActorRef | undefined = ref; at?._parent !== undefined; at = at._parent) ids.unshift(at.id)
  return ids.join('/')
}

/** The actor at `path` below `root`, if it is there. */
export function actorAt (root: AnyActorRef, path: string): AnyActorRef | undefined {
  if (path === '') return root
  let at: AnyActorRef | undefined = root
  for (const id of path.split('/')) {
    const children = at?.getSnapshot()?.children as Record<string, AnyActorRef> | undefined
    at = children?.[id]
  }
  return at
}

/** Every delayed event pending in the actor's tree, the soonest first. */
export function pendingTimers (actor: AnyActorRef): TimerRecord[] {
  const scheduled = internals(actor)._snapshot._scheduledEvents
  const timers: TimerRecord[] = []
  for (const key in scheduled) {
    const { id, source, target, event } = scheduled[key]
    // Every delay of a call is armed through its clock, which stamped it.
    const dueAt = dueTimes.get(scheduled[key]) as number
    timers.push({ id, source: actorPath(source), target: actorPath(target), event, dueAt })
  }
  return timers.sort((a, b) => a.dueAt - b.dueAt)
}

/**
 * Puts a restored call's delays back on its clock, each for the time it
 * still has. Returns those already due, soonest first, for the caller to
 * fire before anything else reaches the call, and those whose actors are
 * gone from the tree (they can never fire).
 */
export function armTimers (actor: AnyActorRef, timers: readonly TimerRecord[], now: number): { overdue: TimerRecord[], lost: TimerRecord[] } {
  const overdue: TimerRecord[] = []
  const lost: TimerRecord[] = []
  for (const timer of timers) {
    const source = actorAt(actor, timer.source)
    const target = actorAt(actor, timer.target)
    if (source === undefined || target === undefined) lost.push(timer)
    else if (timer.dueAt <= now) overdue.push(timer)
    else internals(actor).scheduler.schedule(source, target, timer.event, timer.dueAt - now, timer.id)
  }
  return { overdue: overdue.sort((a, b) => a.dueAt - b.dueAt), lost }
}

/** Fires a delayed event now, as XState's scheduler would have when it was due. */
export function fireTimer (actor: AnyActorRef, timer: TimerRecord): void {
  const target = actorAt(actor, timer.target)
  if (target !== undefined) internals(actor)._relay(actorAt(actor, timer.source), target, timer.event)
}

type Logic = AnyActorLogic & { root?: unknown }

const PROBE = Symbol('probe')
const promiseLogic = new WeakMap<object, boolean>()

/**
 * Tells promise actors (`fromPromise`) from every other kind. XState gives
 * them no mark, so the logic is asked once, on a throw-away snapshot, how it
 * takes a resolved promise: only promise logic ends up `done` with the value.
 * The reply to an event waits for promise work only, because callback and
 * observable actors usually live as long as their state does.
 */
export function isPromiseLogic (logic: Logic): boolean {
  let known = promiseLogic.get(logic)
  if (known === undefined) {
    try {
      const snapshot = { status: 'active', output: undefined, error: undefined, input: undefined }
      const next = logic.transition(snapshot as never, { type: 'xstate.promise.resolve', data: PROBE }, {} as never)
      known = next.status === 'done' && next.output === PROBE
    } catch {
      known = false
    }
    promiseLogic.set(logic, known)
  }
  return known
}

const nothing: readonly AnyActorRef[] = Object.freeze([])

/**
 * The promise actors running anywhere below `actor` (child machines
 * included) that are not in `known`. Most calls have no child at all: for
 * them, no array is made.
 */
export function activeWork (actor: AnyActorRef, known: ReadonlySet<AnyActorRef>, found?: AnyActorRef[]): readonly AnyActorRef[] {
  // XState removes a child from `children` when it stops, so every entry is an actor.
  const children: Record<string, AnyActorRef> = actor.getSnapshot().children
  for (const key in children) {
    found ??= []
    const child = children[key]
    const logic = (child as unknown as { logic: Logic }).logic
    if (logic.root !== undefined) activeWork(child, known, found)
    else if (!known.has(child) && child.getSnapshot().status === 'active' && isPromiseLogic(logic)) found.push(child)
  }
  return found ?? nothing
}

/**
 * Resolves once any of `work` has finished, failed or been stopped. It
 * resolves a tick later, so that the parent has already taken the child's
 * done event when the caller looks again.
 */
export function anySettled (work: readonly AnyActorRef[]): { settled: Promise<void>, cancel: () => void } {
  let resolve!: () => void
  const settled = new Promise<void>((_resolve) => { resolve = _resolve })
  const subscriptions = work.map((ref) => ref.subscribe({ complete: resolve, error: resolve }))
  return { settled, cancel: () => { for (const subscription of subscriptions) subscription.unsubscribe() } }
}

/**
 * Runs a routed invocation's promise: `signal` aborts it, and what it
 * `emit`s goes through `tell` (to the state that invoked it, in a turn of
 * the call) instead of to the child's own listeners.
 */
export type RunWork = (signal: AbortSignal, tell: (event: EventObject) => void) => Promise<unknown>

/** How the registry runs a call's promise work: told of each start, with what runs the promise. */
export interface WorkRoute {
  start (self: AnyActorRef, run: RunWork): void
}

interface PromiseScope {
  self: AnyActorRef
  system: object
  emit: (event: EventObject) => void
}

const ROUTED = Symbol('fastify-ai-flow.routed')

type PatchedLogic = Logic & {
  config: (args: { input: unknown, system: unknown, self: AnyActorRef, signal: AbortSignal, emit: unknown }) => PromiseLike<unknown>
  start: (state: { status: string, input: unknown }, scope: PromiseScope) => void
  [ROUTED]?: true
}

// Kept on the call's system itself, not in a WeakMap: a WeakMap's table keeps the
// size it grew to with the most calls at once for as long as the process lives.
const ROUTE = Symbol('fastify-ai-flow.route')

/** Routes the promise work of the actor's system (the call's tree) through `route`. */
export function routeWork (actor: AnyActorRef, route: WorkRoute): void {
  Object.defineProperty(actor.system, ROUTE, { value: route, configurable: true })
}

function routeLogic (logic: PatchedLogic): void {
  if (logic[ROUTED] === true) return
  const start = logic.start
  logic.start = (state, scope) => {
    const route = (scope.system as { [ROUTE]?: WorkRoute })[ROUTE]
    if (route === undefined) return start(state, scope)
    if (state.status !== 'active') return
    route.start(scope.self, (signal, tell) => Promise.resolve(logic.config({ input: state.input, system: scope.system, self: scope.self, signal, emit: tell })))
  }
  logic[ROUTED] = true
}

interface NodeLike { config: { invoke?: unknown }, states: Record<string, NodeLike> }

/**
 * Makes every promise logic the flow can invoke (by name, inline, or in a
 * child machine) ask the registry how to run, so that a call's work belongs
 * to the instance that started it and not to a copy of the call's actor.
 */
export function routePromiseWork (machine: AnyStateMachine, seen = new Set<object>()): void {
  const visit = (logic: unknown): void => {
    if (typeof logic !== 'object' || logic === null || seen.has(logic)) return
    seen.add(logic)
    if ((logic as Logic).root !== undefined) routePromiseWork(logic as AnyStateMachine, seen)
    else if (typeof (logic as PatchedLogic).config === 'function' && isPromiseLogic(logic as Logic)) routeLogic(logic as PatchedLogic)
  }
  for (const logic of Object.values(machine.implementations.actors)) visit(logic)
  const walk = (node: NodeLike): void => {
    const invokes = node.config.invoke === undefined ? [] : Array.isArray(node.config.invoke) ? node.config.invoke : [node.config.invoke]
    for (const invoke of invokes) visit((invoke as { src?: unknown }).src)
    for (const child of Object.values(node.states)) walk(child)
  }
  walk(machine.root as unknown as NodeLike)
}

/** Hands what a piece of work emitted to the state that invoked it, as the invocation's parent would receive an event. */
export function tellInvoker (child: AnyActorRef, event: EventObject): void {
  child._parent?.send(event)
}

/** Settles a routed invocation with its work's result, as XState's promise logic would have. */
export function settleWork (child: AnyActorRef, ok: boolean, data: unknown): void {
  child.send({ type: ok ? 'xstate.promise.resolve' : 'xstate.promise.reject', data } as EventObject)
}
