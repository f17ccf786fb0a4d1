export * from './action-creators'
export { setupFlow, type FlowInput, type FlowEvent } from './setup-flow'
export { flowVersionOf } from './flow-version'
