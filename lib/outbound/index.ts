export { placeCall, type OutboundCallResult, type ServiceError } from './place-call'
export { resolveOutboundOptions, type OutboundOptions } from './options'
