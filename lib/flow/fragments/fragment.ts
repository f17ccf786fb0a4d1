import type {
  DoneStateEvent, EventObject, MachineContext, MetaObject, ParameterizedObject, ProvidedActor, StateNodeConfig, TransitionConfig
} from 'xstate'
import type { FlowAction } from '../../protocol'
import type { FlowEvent } from '../setup-flow'

/**
 * The types of the flow a fragment stands in: its context, events, and the
 * actors, actions, guards and delays its `setup` names. A fragment's
 * callbacks see them, and a guard or action given by name must be one the
 * flow has. TypeScript reads them from where the fragment is written (a
 * state of `setupFlow(...).createMachine`); a fragment built elsewhere names
 * them: `prompt<boolean, MyContext>(...)`.
 */
export interface FlowTypes<
  TContext extends MachineContext = MachineContext,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never
> {
  context: TContext
  event: TEvent
  actor: TActor
  action: TAction
  guard: TGuard
  delay: TDelay
}

/** Any {@link FlowTypes}: the bound of the fragments' option types. */
export type AnyFlowTypes = FlowTypes<MachineContext, EventObject, ProvidedActor, ParameterizedObject, ParameterizedObject, string>

/**
 * A fragment's inside as TypeScript's state-value type reads it (what
 * `call.matches`, `snapshot.matches` and `StateValueFrom` accept): the
 * names of its states, which of them are parallel, and no `states` on a
 * state that has none. Nothing else of the config.
 */
export interface FragmentInside {
  type?: 'parallel'
  states?: Record<string, FragmentInside>
}

/** A state with no states inside, as {@link FragmentInside} writes it. */
export type FragmentLeaf = Record<never, never>

/**
 * What a fragment returns: a state config for the `states` of a flow made
 * with `setupFlow`, typed with that flow's context, events, actors,
 * actions, guards and delays, and with the names of the states inside it
 * (`TInside`), so that `call.matches({ ask: { listening: … } })` compiles.
 */
export type FlowFragment<
  TContext extends MachineContext = MachineContext,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never,
  TInside extends FragmentInside | null = null
> = [TInside] extends [FragmentInside]
  ? Omit<FragmentConfig<TContext, TEvent, TActor, TAction, TGuard, TDelay>, 'states' | 'type'> & TInside
  : FragmentConfig<TContext, TEvent, TActor, TAction, TGuard, TDelay>

type FragmentConfig<
  TContext extends MachineContext,
  TEvent extends EventObject,
  TActor extends ProvidedActor,
  TAction extends ParameterizedObject,
  TGuard extends ParameterizedObject,
  TDelay extends string
> = StateNodeConfig<TContext, TEvent, TActor, TAction, TGuard, TDelay, string, unknown, FlowAction, MetaObject>

/** One transition out of a fragment: XState's, seeing the event `TDone` that ends the fragment. */
export type Exit<TDone extends EventObject = DoneStateEvent, F extends AnyFlowTypes = FlowTypes> =
  TransitionConfig<F['context'], TDone, F['event'], F['actor'], F['action'], F['guard'], F['delay'], FlowAction>

/**
 * Where a fragment goes when it ends: a target (a sibling state's key, or
 * `#id`), a transition config, or several guarded ones. Guards, actions and
 * params functions see the fragment's output, typed, as `event.output`.
 */
export type Next<TDone extends EventObject = DoneStateEvent, F extends AnyFlowTypes = FlowTypes> = string | Exit<TDone, F> | Array<Exit<TDone, F>>
