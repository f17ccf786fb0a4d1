import { matchesState, type AnyStateMachine, type SnapshotFrom, type StateValue, type StateValueFrom } from 'xstate'
import { formatProblems, validateAction, validateEvent, type AiFlowAction, type AiFlowEvent, type FlowAction, type Session } from '../protocol'
import type { Answer, Driver } from './driver'
import { simulatedEvent, simulatedSession, type Direction } from './events'

/** What the caller (or the service) did in one step of a simulated call. */
export type MoveName =
  | 'start' | 'transferFailed' | 'say' | 'bargeIn' | 'press' | 'silence'
  | 'speechStarted' | 'speechEnded' | 'hangUp' | 'ended' | 'send' | 'wait'

/**
 * The state value of `TMachine`'s snapshots, as XState types it: for a flow
 * with states `menu` and `confirm`, `'menu' | 'confirm'`; nested states
 * are objects, `{ booking: 'askDate' }`. Any value for an untyped machine.
 */
export type FlowStateValue<TMachine extends AnyStateMachine> = SnapshotFrom<TMachine>['value']

/** One step of a simulated call and what came of it. */
export interface Turn<TMachine extends AnyStateMachine = AnyStateMachine> {
  move: MoveName
  /** The event sent; absent when time passed. */
  event?: AiFlowEvent
  /** What the flow answered, without `session_id`, so that `speak('Hi')` compares equal. */
  actions: FlowAction[]
  /** The flow's state value after the step, when it can be seen (a flow driven directly). */
  state?: FlowStateValue<TMachine>
  /** For `wait`: how long the caller waited, in ms. */
  ms?: number
  /** Milliseconds since the call was made, on the clock the flow sees. */
  at: number
}

export interface SimulatedCallOptions {
  /** The call's `session.id`. Default a random UUID. */
  sessionId?: string
  /** Session fields to use instead of the simulated ones (phone numbers, `account_id`). */
  session?: Partial<Session>
}

/**
 * One phone call, played move by move against a flow or a server. Every
 * move sends a valid protocol event and resolves with the actions of the
 * reply; `turns` keeps the whole call. When the flow hangs up, the call ends
 * as the service would end it: with a `session_end`. Made by `simulateCall`.
 *
 * @example
 * const call = simulateCall(flow)
 * await call.start()
 * t.same(await call.say('a table for two'), [speak('For which day?')])
 * t.ok(call.matches('askDate'))
 */
export class SimulatedCall<TMachine extends AnyStateMachine = AnyStateMachine> {
  readonly turns: Array<Turn<TMachine>> = []
  readonly #driver: Driver
  readonly #options: SimulatedCallOptions
  readonly #id: string
  #session: Session | undefined
  #state: FlowStateValue<TMachine> | undefined
  /** Some answer carried the flow's state: the driver can see it. */
  #seesState = false
  #ended = false

  constructor (driver: Driver, options: SimulatedCallOptions = {}) {
    this.#driver = driver
    this.#options = options
    this.#id = options.sessionId ?? options.session?.id ?? simulatedSession('inbound').id
  }

  get sessionId (): string {
    return this.#id
  }

  /** The session every event carries; undefined until `start()`. */
  get session (): Session | undefined {
    return this.#session
  }

  /** The flow's state value after the last move, when it can be seen; typed from the flow. */
  get state (): FlowStateValue<TMachine> | undefined {
    return this.#state
  }

  /**
   * Whether the flow is in `value` after the last move, as XState's
   * `snapshot.matches` tells it: `'booking'` matches any state inside
   * `booking`, `{ booking: 'askDate' }` that one. Throws when the state
   * cannot be known: before `start()`, once the flow has ended or failed,
   * and on a server, whose state cannot be seen from outside.
   *
   * @example
   * await call.press('1')
   * t.ok(call.matches({ booking: 'confirm' }))
   */
  matches (value: StateValueFrom<TMachine>): boolean {
    const state = this.#state
    if (state === undefined) throw new Error(`call.matches(${JSON.stringify(value)}): ${this.#noState()}`)
    return matchesState(value as StateValue, state as StateValue)
  }

  /** The call is over: hung up by the caller or by the flow. */
  get ended (): boolean {
    return this.#ended
  }

  /** Errors the flow or the server reported (they got the caller the fallback reply). */
  get errors (): readonly Error[] {
    return this.#driver.errors
  }

  /** The call begins: `session_start`, inbound unless told otherwise. */
  async start (direction: Direction = 'inbound'): Promise<FlowAction[]> {
    if (this.#session !== undefined) throw new Error('the call has already started; for a failed transfer use transferFailed()')
    this.#session = simulatedSession(direction, { ...this.#options.session, id: this.#id })
    return this.#event('start', 'session_start')
  }

  /** A transfer with a timeout failed: the service sends `session_start` again, same session. */
  transferFailed (): Promise<FlowAction[]> {
    return this.#event('transferFailed', 'session_start')
  }

  /** The caller says `text` (`user_speak`). */
  say (text: string): Promise<FlowAction[]> {
    return this.#event('say', 'user_speak', { text })
  }

  /** The caller talks over the assistant (`user_speak` with `barged_in: true`). */
  bargeIn (text: string): Promise<FlowAction[]> {
    return this.#event('bargeIn', 'user_speak', { text, barged_in: true })
  }

  /** The caller presses keys: one `dtmf_received` per key of `keys` (`0`–`9`, `*`, `#`). */
  async press (keys: string): Promise<FlowAction[]> {
    if (!/^[0-9*#]+$/.test(keys)) throw new TypeError(`keys must be 0-9, * or #, got ${JSON.stringify(keys)}`)
    const actions: FlowAction[] = []
    for (const digit of keys) actions.push(...await this.#event('press', 'dtmf_received', { digit }))
    return actions
  }

  /** The caller stays silent for the `user_input_timeout_seconds` of the last `speak`. */
  silence (): Promise<FlowAction[]> {
    return this.#event('silence', 'user_input_timeout')
  }

  /** The caller starts talking (`user_speech_started`, a WebSocket event). */
  speechStarted (): Promise<FlowAction[]> {
    return this.#event('speechStarted', 'user_speech_started')
  }

  /** The assistant's speech finished playing (`assistant_speech_ended`). */
  speechEnded (): Promise<FlowAction[]> {
    return this.#event('speechEnded', 'assistant_speech_ended')
  }

  /** The caller hangs up (`session_end`); the call is over. */
  hangUp (): Promise<FlowAction[]> {
    return this.#event('hangUp', 'session_end')
  }

  /**
   * Sends any event, for instance `{ type: 'sms_failed', reason: 'unknown number' }`:
   * the call's session is filled in when it has none.
   */
  async send (event: { type: string, [field: string]: unknown }): Promise<FlowAction[]> {
    const session = this.#started()
    const full = { ...event, session: (event.session as Session | undefined) ?? session }
    const result = validateEvent(full)
    if (!result.ok) throw new TypeError(formatProblems(result.problems, 'event'))
    return this.#turn('send', full as AiFlowEvent)
  }

  /**
   * Lets `ms` pass: the flow's delays that fall due meanwhile run. Resolves
   * with what the flow emitted meanwhile (over the webhook, these also lead
   * the next reply).
   */
  async wait (ms: number): Promise<FlowAction[]> {
    this.#started()
    const answer = await this.#driver.wait(ms, this.#id)
    return this.#record({ move: 'wait', ms }, answer)
  }

  /** Releases the flow's actor or the connection. Safe to call twice. */
  async close (): Promise<void> {
    this.#ended = true
    await this.#driver.close()
  }

  /** Why the flow's state is not known. */
  #noState (): string {
    if (this.turns.length === 0) return 'the call has not started: call start() first'
    if (!this.#seesState) return 'the state of a server cannot be seen; simulate the flow itself (simulateCall(flow)) to ask for it'
    return 'the flow has no state after the last move: the call has ended or the flow failed'
  }

  #started (): Session {
    if (this.#session === undefined) throw new Error('the call has not started: call start() first')
    if (this.#ended) throw new Error('the call has ended')
    return this.#session
  }

  async #event (move: MoveName, type: AiFlowEvent['type'], fields?: Record<string, unknown>): Promise<FlowAction[]> {
    return this.#turn(move, simulatedEvent(type, this.#started(), fields))
  }

  async #turn (move: MoveName, event: AiFlowEvent): Promise<FlowAction[]> {
    const answer = await this.#driver.send(event)
    const actions = this.#record({ move, event }, answer)
    if (event.type === 'session_end') await this.close()
    else if (actions.some((action) => action.type === 'hangup')) await this.#turn('ended', simulatedEvent('session_end', this.#started()))
    return actions
  }

  #record (step: { move: MoveName, event?: AiFlowEvent, ms?: number }, answer: Answer): FlowAction[] {
    const actions = answer.actions.map((action) => this.#checked(action))
    const state = answer.state as FlowStateValue<TMachine> | undefined
    if ('state' in answer) {
      this.#state = state
      this.#seesState = true
    }
    this.turns.push({ ...step, actions, ...('state' in answer && { state }), at: this.#driver.now() })
    return actions
  }

  /** A server's reply is checked as strictly as the plugin checks a flow's. */
  #checked (action: AiFlowAction): FlowAction {
    const result = validateAction(action)
    if (!result.ok) throw new TypeError(`the reply holds an invalid action: ${formatProblems(result.problems, 'action')}`)
    if (action.session_id !== this.#id) throw new TypeError(`the reply is for session ${action.session_id}, not ${this.#id}`)
    const { session_id: _, ...rest } = action
    return rest as FlowAction
  }
}
