export * from './action-creators'
export { setupFlow, type FlowInput, type FlowEvent } from './setup-flow'
export { forwardEvents } from './forward'
export * from './fragments'
