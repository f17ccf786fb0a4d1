import type { Attributes, Counter, Histogram, Meter, ObservableCounter, ObservableResult, ObservableUpDownCounter } from '@opentelemetry/api'
import type { CallOutcome, Transport } from './call-stats'
import type { ToolOutcome } from '../agent/turn-observer'

/** Seconds: the reply deadline is 3 s by default, a store call a few ms. */
const REPLY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The plugin's instruments. Attributes name kinds of things only (an event
 * type, an outcome, a store operation, a flow version), never a call or a
 * caller, so that every series stays small. Each set of attributes is made
 * once and kept: counting an event allocates nothing.
 *
 * Events are counted here and read by the SDK when it collects (an
 * asynchronous counter): every measurement given to the SDK is hashed by its
 * attributes, and an event already gives it one, its reply time.
 */
export class FlowMetrics {
  readonly #events: ObservableCounter
  /** Events so far, by their attributes (a set made once by `#of`). */
  readonly #eventCounts = new Map<Attributes, number>()
  readonly #replyDuration: Histogram
  readonly #active: ObservableUpDownCounter
  readonly #ended: Counter
  readonly #flowErrors: Counter
  readonly #bargeIns: Counter
  readonly #inputTimeouts: Counter
  readonly #lateActions: Counter
  readonly #storeDuration: Histogram
  readonly #lockWait: Histogram
  readonly #firstSentence: Histogram
  readonly #toolDuration: Histogram
  readonly #toolCalls: Counter
  /** By tool (a bounded name) and outcome. */
  readonly #toolAttributes = new Map<string, Map<ToolOutcome, Attributes>>()
  /** By flow version, attribute name and value: looked up without making a key. */
  readonly #attributes = new Map<string, Map<string, Map<string, Attributes>>>()
  readonly #activeCalls: () => number

  constructor (meter: Meter, activeCalls: () => number) {
    this.#activeCalls = activeCalls
    this.#events = meter.createObservableCounter('aiflow.events', { description: 'Events received from the service' })
    this.#events.addCallback(this.#observeEvents)
    this.#replyDuration = meter.createHistogram('aiflow.reply.duration', {
      description: 'From an event\'s arrival to its reply being ready', unit: 's', advice: { explicitBucketBoundaries: REPLY_BUCKETS }
    })
    this.#active = meter.createObservableUpDownCounter('aiflow.calls.active', { description: 'Calls held by this instance' })
    this.#active.addCallback(this.#observeActive)
    this.#ended = meter.createCounter('aiflow.calls.ended', { description: 'Calls that ended, by outcome' })
    this.#flowErrors = meter.createCounter('aiflow.flow.errors', { description: 'Calls whose flow failed' })
    this.#bargeIns = meter.createCounter('aiflow.barge_ins', { description: 'Caller speech that interrupted the assistant' })
    this.#inputTimeouts = meter.createCounter('aiflow.input_timeouts', { description: 'Callers who said nothing in time' })
    this.#lateActions = meter.createCounter('aiflow.late_actions', { description: 'Actions emitted after their event\'s reply had gone' })
    this.#storeDuration = meter.createHistogram('aiflow.store.duration', {
      description: 'Session store operations', unit: 's', advice: { explicitBucketBoundaries: REPLY_BUCKETS }
    })
    this.#lockWait = meter.createHistogram('aiflow.lock.wait', {
      description: 'Time an event waited for its call\'s lock in a shared store', unit: 's', advice: { explicitBucketBoundaries: REPLY_BUCKETS }
    })
    this.#firstSentence = meter.createHistogram('aiflow.agent.first_sentence', {
      description: 'From a caller\'s turn reaching an agent state to the first sentence of its answer leaving', unit: 's', advice: { explicitBucketBoundaries: REPLY_BUCKETS }
    })
    this.#toolDuration = meter.createHistogram('aiflow.tool.duration', {
      description: 'Runs of an agent state\'s function tools', unit: 's', advice: { explicitBucketBoundaries: REPLY_BUCKETS }
    })
    this.#toolCalls = meter.createCounter('aiflow.tool.calls', { description: 'Runs of an agent state\'s function tools, by tool and outcome' })
  }

  event (type: string, flowVersion: string, barged: boolean): void {
    const attributes = this.#of('type', type, flowVersion)
    this.#eventCounts.set(attributes, (this.#eventCounts.get(attributes) ?? 0) + 1)
    if (barged) this.#bargeIns.add(1, this.#of('', '', flowVersion))
    else if (type === 'user_input_timeout') this.#inputTimeouts.add(1, this.#of('', '', flowVersion))
  }

  reply (type: string, flowVersion: string, seconds: number): void {
    this.#replyDuration.record(seconds, this.#of('type', type, flowVersion))
  }

  ended (outcome: CallOutcome, flowVersion: string): void {
    this.#ended.add(1, this.#of('outcome', outcome, flowVersion))
  }

  flowError (flowVersion: string): void {
    this.#flowErrors.add(1, this.#of('', '', flowVersion))
  }

  lateAction (): void {
    this.#lateActions.add(1)
  }

  store (operation: string, seconds: number): void {
    this.#storeDuration.record(seconds, this.#of('operation', operation))
  }

  lockWait (seconds: number): void {
    this.#lockWait.record(seconds)
  }

  firstSentence (seconds: number, flowVersion: string, transport: Transport): void {
    this.#firstSentence.record(seconds, this.#of('transport', transport, flowVersion))
  }

  /** One run of a function tool; `tool` is bounded (`ToolKinds`). */
  tool (tool: string, outcome: ToolOutcome, seconds: number): void {
    let byOutcome = this.#toolAttributes.get(tool)
    if (byOutcome === undefined) this.#toolAttributes.set(tool, byOutcome = new Map())
    let attributes = byOutcome.get(outcome)
    if (attributes === undefined) byOutcome.set(outcome, attributes = { tool, outcome })
    this.#toolDuration.record(seconds, attributes)
    this.#toolCalls.add(1, attributes)
  }

  close (): void {
    this.#active.removeCallback(this.#observeActive)
    this.#events.removeCallback(this.#observeEvents)
  }

  readonly #observeActive = (result: ObservableResult): void => {
    result.observe(this.#activeCalls())
  }

  readonly #observeEvents = (result: ObservableResult): void => {
    for (const [attributes, count] of this.#eventCounts) result.observe(count, attributes)
  }

  /** One attribute (none when `name` is empty), with the flow version when one is given. */
  #of (name: string, value: string, flowVersion = ''): Attributes {
    let byName = this.#attributes.get(flowVersion)
    if (byName === undefined) this.#attributes.set(flowVersion, byName = new Map())
    let byValue = byName.get(name)
    if (byValue === undefined) byName.set(name, byValue = new Map())
    let attributes = byValue.get(value)
    if (attributes === undefined) {
      attributes = {}
      if (name !== '') attributes[name] = value
      if (flowVersion !== '') attributes.flow_version = flowVersion
      byValue.set(value, attributes)
    }
    return attributes
  }
}
