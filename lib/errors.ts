import createError from '@fastify/error'

type WithCause = { cause?: unknown }

/*
 * Every error the plugin raises, each with its own code. The README lists
 * them. Messages of internal failures are logged, never sent to the caller.
 */

export const InvalidOptionError = createError<[string]>(
  'FST_AIFLOW_INVALID_OPTION', 'Invalid fastify-ai-flow option: %s', 500, TypeError)

export const UnauthorizedError = createError(
  'FST_AIFLOW_UNAUTHORIZED', 'Missing or wrong X-API-TOKEN header', 401)

export const InvalidEventError = createError<[string]>(
  'FST_AIFLOW_INVALID_EVENT', '%s', 400)

export const TooManyCallsError = createError<[number]>(
  'FST_AIFLOW_TOO_MANY_CALLS', 'Too many live calls (the limit is %d)', 503)

export const FlowError = createError<[string, WithCause?]>(
  'FST_AIFLOW_FLOW_ERROR', 'The flow failed: %s', 500)

export const InvalidActionError = createError<[string, WithCause?]>(
  'FST_AIFLOW_INVALID_ACTION', 'The flow emitted an invalid action: %s', 500)

export const FlowVersionError = createError<[string, string]>(
  'FST_AIFLOW_FLOW_VERSION', 'The call was started by flow version %s, this instance runs %s', 500)

export const CorruptRecordError = createError<[string, WithCause?]>(
  'FST_AIFLOW_CORRUPT_RECORD', 'The stored call record is unusable: %s', 500)

export const StoreUnavailableError = createError<[string, WithCause?]>(
  'FST_AIFLOW_STORE_UNAVAILABLE', 'The session store is unavailable: %s', 503)

export const InvalidFragmentError = createError<[string, string]>(
  'FST_AIFLOW_INVALID_FRAGMENT', 'Invalid flow fragment "%s": %s', 500, TypeError)

export const LiveViewUnauthorizedError = createError(
  'FST_AIFLOW_LIVE_VIEW_UNAUTHORIZED', 'Missing or wrong live view token (Authorization: Bearer <token>)', 401)

export const UnknownCallError = createError<[string]>(
  'FST_AIFLOW_UNKNOWN_CALL', 'No live call %s', 404)

export const InvalidFrameError = createError<[string]>(
  'FST_AIFLOW_INVALID_FRAME', 'Ignored a WebSocket frame: %s', 400)

export const SendBufferFullError = createError<[number, number]>(
  'FST_AIFLOW_SEND_BUFFER_FULL', 'The peer is not reading: %d bytes wait to be sent, over the limit of %d', 500)

export const PingTimeoutError = createError<[number]>(
  'FST_AIFLOW_PING_TIMEOUT', 'The peer did not answer a ping within %d ms', 500)

export const InvalidCallRequestError = createError<[string]>(
  'FST_AIFLOW_INVALID_CALL_REQUEST', 'Invalid outbound call: %s', 500, TypeError)

export const OutboundNotConfiguredError = createError(
  'FST_AIFLOW_OUTBOUND_NOT_CONFIGURED', 'Outbound calls need the outbound option, with a token for the service API', 500)

export const CallRefusedError = createError<[string]>(
  'FST_AIFLOW_CALL_REFUSED', 'The service refused the call (400): %s', 502)

export const FlowNotFoundError = createError<[string, string]>(
  'FST_AIFLOW_FLOW_NOT_FOUND', 'The service knows no AI flow %s (404): %s', 502)

export const CallFailedError = createError<[number, string]>(
  'FST_AIFLOW_CALL_FAILED', 'The service answered the call request with %d: %s', 502)

export const CallTimeoutError = createError<[number]>(
  'FST_AIFLOW_CALL_TIMEOUT', 'The service did not answer the call request within %d ms', 504)

export const ServiceUnreachableError = createError<[string, WithCause?]>(
  'FST_AIFLOW_SERVICE_UNREACHABLE', 'The service could not be reached: %s', 502)

export const CallBusyError = createError<[number]>(
  'FST_AIFLOW_CALL_BUSY', 'The call\'s lock did not come to this event: an earlier event held it for the whole reply deadline (%d ms), or the event\'s place in line lapsed while it was held up', 503)

export const LockLostError = createError(
  'FST_AIFLOW_LOCK_LOST', "The call's lock expired before its event was saved; the reply was withheld", 503)
