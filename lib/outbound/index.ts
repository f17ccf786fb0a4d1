export { placeCall, type OutboundCallResult, type ServiceError } from './place-call'
export { resolveOutboundOptions, DEFAULT_BASE_URL, type OutboundOptions } from './options'
