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
 * What a fragment returns: a state config for the `states` of a flow made
 * with `setupFlow`, typed with that flow's context, events, actors,
 * actions, guards and delays.
 */
export type FlowFragment<
  TContext extends MachineContext = MachineContext,
  TEvent extends EventObject = FlowEvent,
  TActor extends ProvidedActor = never,
  TAction extends ParameterizedObject = never,
  TGuard extends ParameterizedObject = never,
  TDelay extends string = never
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
