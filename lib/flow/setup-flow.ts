import {
  setup, type EventObject, type MachineContext, type MetaObject, type NonReducibleUnknown, type ParameterizedObject, type UnknownActorLogic
} from 'xstate'
import type { AiFlowEvent, FlowAction, Session } from '../protocol'
import { InvalidOptionError } from '../errors'
import { fragmentGuardNames, fragmentGuards, type FragmentGuardParams } from './fragments/exits'

/** What a flow's actor is started with. */
export interface FlowInput {
  /** The `session` of the event that opened the call. */
  session: Session
}

/** The events a flow receives: the protocol's, unchanged. */
export type FlowEvent = AiFlowEvent

type Params = ParameterizedObject['params'] | undefined

/**
 * A guard written without a params argument is inferred with params
 * `unknown`, which keeps TypeScript from typing the params function of the
 * flow's other guards (`params: ({ event }) => ...`): it has none.
 */
type WithoutUnknown<T extends Record<string, Params>> = { [K in keyof T]: unknown extends T[K] ? undefined : T[K] }

type SetupConfig<
  TContext extends MachineContext, TEvent extends EventObject, TActors extends Record<string, UnknownActorLogic>,
  TChildrenMap extends Record<string, string>, TActions extends Record<string, Params>,
  TGuards extends Record<string, Params>, TDelay extends string, TTag extends string,
  TOutput extends NonReducibleUnknown, TMeta extends MetaObject
> = Parameters<typeof setup<
TContext, FlowEvent | TEvent, TActors, TChildrenMap, TActions, TGuards, TDelay, TTag, FlowInput, TOutput, FlowAction, TMeta
>>[0]

/**
 * XState's `setup` with the protocol already declared: the flow receives
 * {@link FlowEvent}s, is started with {@link FlowInput}, and emits
 * {@link FlowAction}s, all type-checked. What it returns is XState's own, so
 * the machine stays a plain machine for Stately's tools. Event types the
 * service added after this package can be declared in `types.events`.
 * The guards that tell the fragments' exits apart (`answered`, `choice`,
 * `noInput`, `noMatch`) are added to the flow's own; a guard of the flow
 * may not take one of their names.
 *
 * @example
 * const flow = setupFlow({ types: { context: {} as { turns: number } } }).createMachine({
 *   context: { turns: 0 },
 *   on: { session_start: { actions: emit(speak('Hello!')) } }
 * })
 */
export function setupFlow<
  TContext extends MachineContext = MachineContext,
  TEvent extends EventObject = never,
  TActors extends Record<string, UnknownActorLogic> = {},
  TChildrenMap extends Record<string, string> = {},
  TActions extends Record<string, Params> = {},
  TGuards extends Record<string, Params> = {},
  TDelay extends string = never,
  TTag extends string = string,
  TOutput extends NonReducibleUnknown = NonReducibleUnknown,
  TMeta extends MetaObject = MetaObject
> (config: SetupConfig<TContext, TEvent, TActors, TChildrenMap, TActions, TGuards, TDelay, TTag, TOutput, TMeta> = {} as never) {
  const guards: Record<string, unknown> = config.guards ?? {}
  const taken = fragmentGuardNames.filter((name) => name in guards)
  if (taken.length > 0) {
    throw new InvalidOptionError(`setupFlow guards may not be named ${taken.join(', ')}: fragments use ${fragmentGuardNames.join(', ')}`)
  }
  return setup<TContext, FlowEvent | TEvent, TActors, TChildrenMap, TActions, WithoutUnknown<TGuards> & FragmentGuardParams, TDelay, TTag, FlowInput, TOutput, FlowAction, TMeta>(
    { ...config, guards: { ...guards, ...fragmentGuards } } as never
  )
}
