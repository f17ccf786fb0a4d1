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
