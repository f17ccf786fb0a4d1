import type { MetaObject, StateNodeConfig } from 'xstate'
import type { FlowAction } from '../../protocol'
import type { FlowEvent } from '../setup-flow'

/**
 * What a fragment returns: a state config that fits in the `states` of any
 * flow made with `setupFlow`, whatever its context, actors, guards and delays.
 * The fragment brings its own guards, actions and actors inline, so it needs
 * nothing from the flow's `setup`.
 */
export type FlowFragment = StateNodeConfig<any, FlowEvent, never, never, never, never, string, unknown, FlowAction, MetaObject>
