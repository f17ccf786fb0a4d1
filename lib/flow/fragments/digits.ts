import {
  assign, setup, type AnyStateNodeConfig, type DoneActorEvent, type EventObject, type MachineContext, type ParameterizedObject, type ProvidedActor
} from 'xstate'
import type { DtmfReceivedEvent } from '../../protocol'
import type { FlowEvent } from '../setup-flow'
import { forwardEvents } from '../forward'
import { sayAction, type AnySay, type Say } from './say'
import type { AnyFlowTypes, FlowFragment, FlowTypes, FragmentLeaf, Next } from './fragment'
import { fragmentMeta } from './exits'
import { checkDigitsOptions } from './check'

/** Why collecting ended. */
export type DigitsEnd = 'length' | 'terminator' | 'timeout' | 'no-input'

/** The collector's output (`event.output` in its `onDone`). */
export interface DigitsOutput {
  /** The keys pressed, without the terminator. */
  digits: string
  /** `length` (enough keys), `terminator`, `timeout` (a pause after some keys) or `no-input` (no key at all). */
  ended: DigitsEnd
}

export interface DigitCollectorInput {
  /** Ends after this many keys. */
  length?: number
  /** Ends when this key is pressed; it is not part of the digits. */
  terminator?: '#' | '*'
  /** With a terminator, ends after this many keys anyway. */
  maxLength: number
  /** Ends this many ms after the last key. */
  interDigitTimeout: number
}

interface DigitsContext extends DigitCollectorInput {
  digits: string
  ended: DigitsEnd
}

/**
 * Collects DTMF keys until there are enough, the terminator is pressed, or
 * the caller pauses (`interDigitTimeout`, an XState delay, so a simulated
 * clock drives it in tests). `user_input_timeout` from the service ends it
 * too. It says nothing and outputs {@link DigitsOutput}. Use it through
 * {@link collectDigits}, or invoke it yourself and forward it `dtmf_received`.
 */
export const digitCollector = setup({
  types: {
    context: {} as DigitsContext,
    events: {} as FlowEvent,
    input: {} as DigitCollectorInput,
    output: {} as DigitsOutput
  },
  delays: { interDigit: ({ context }) => context.interDigitTimeout },
  guards: {
    isTerminator: ({ context, event }) => (event as DtmfReceivedEvent).digit === context.terminator,
    complete: ({ context }) => context.digits.length >= (context.length ?? context.maxLength)
  },
  actions: {
    append: assign({ digits: ({ context, event }) => context.digits + (event as DtmfReceivedEvent).digit }),
    end: assign((_, params: { ended: DigitsEnd }) => ({ ended: params.ended }))
  }
}).createMachine({
  id: 'digitCollector',
  context: ({ input }) => ({ ...input, digits: '', ended: 'no-input' }),
  initial: 'waiting',
  states: {
    waiting: {
      on: {
        dtmf_received: [
          { guard: 'isTerminator', target: 'done', actions: { type: 'end', params: { ended: 'terminator' } } },
          { target: 'collecting', actions: 'append' }
        ],
        user_input_timeout: { target: 'done', actions: { type: 'end', params: { ended: 'no-input' } } }
      }
    },
    collecting: {
      always: { guard: 'complete', target: 'done', actions: { type: 'end', params: { ended: 'length' } } },
      after: { interDigit: { target: 'done', actions: { type: 'end', params: { ended: 'timeout' } } } },
      on: {
        dtmf_received: [
          { guard: 'isTerminator', target: 'done', actions: { type: 'end', params: { ended: 'terminator' } } },
          { target: 'collecting', reenter: true, actions: 'append' }
        ],
        user_input_timeout: { target: 'done', actions: { type: 'end', params: { ended: 'timeout' } } }
      }
    },
    done: { type: 'final' }
  },
  output: ({ context }) => ({ digits: context.digits, ended: context.ended })
})

export interface CollectDigitsOptions<F extends AnyFlowTypes = FlowTypes> {
  /** The fragment's state id, unique in the machine; the collector runs as `<id>.digits`. */
  id: string
  /** Said when the fragment is entered. Default nothing. */
  say?: Say<F>
  /** Ends after this many keys. Give `length`, `terminator`, or both. */
  length?: number
  /** Ends when this key is pressed. */
  terminator?: '#' | '*'
  /** With a terminator, ends after this many keys anyway. Default 32. */
  maxLength?: number
  /** Ends this many ms after the last key. Default 5000. */
  interDigitTimeout?: number
  /** Seconds of silence after `say` before the service sends `user_input_timeout`. Default 8. */
  timeout?: number
  /** Where to go; `event.output` is a {@link DigitsOutput}. A diagram labels this exit `digits complete`. */
  onDone: Next<DoneActorEvent<DigitsOutput>, F>
}

/**
 * A state that says `say` and collects keys with {@link digitCollector},
 * forwarding it the events it needs. Put it in your machine's `states`.
 *
 * @example
 * pin: collectDigits({
 *   id: 'pin',
 *   say: 'Please enter your four-digit PIN.',
 *   length: 4,
 *   onDone: [{ guard: ({ event }) => event.output.ended === 'length', target: 'check' }, { target: 'retry' }]
 * })
 */
export function collectDigits<
  TContext extends MachineContext = never,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never
> (options: CollectDigitsOptions<FlowTypes<TContext, TEvent, NoInfer<TActor>, NoInfer<TAction>, NoInfer<TGuard>, NoInfer<TDelay>>>): FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, FragmentLeaf> {
  checkDigitsOptions(options)
  const { id, say, length, terminator, maxLength = 32, interDigitTimeout = 5000, timeout = 8 } = options
  const child = `${id}.digits`
  const config: AnyStateNodeConfig = {
    id,
    meta: fragmentMeta('collectDigits'),
    entry: say === undefined ? undefined : sayAction(say as AnySay, timeout),
    invoke: {
      id: child,
      src: digitCollector,
      input: { length, terminator, maxLength, interDigitTimeout } satisfies DigitCollectorInput,
      onDone: options.onDone
    },
    on: forwardEvents(child, 'dtmf_received', 'user_input_timeout')
  }
  return config as FlowFragment<TContext, TEvent, TActor, TAction, TGuard, TDelay, FragmentLeaf>
}
