import { formatProblems, validateCallRequest, type OutboundCallRequest } from '../protocol'
import {
  CallFailedError, CallRefusedError, CallTimeoutError, FlowNotFoundError, InvalidCallRequestError, ServiceUnreachableError
} from '../errors'
import { resolveOutboundOptions, type OutboundOptions } from './options'

/** What the service answered when it accepted the call. */
export interface OutboundCallResult {
  /** The response body, parsed when it is JSON; the service does not document it. */
  body: unknown
}

/** An error from the service, with what it said. */
export interface ServiceError extends Error {
  code: string
  /** The HTTP status the service answered with. */
  serviceStatus: number
  /** The service's own message, or the response text. */
  serviceMessage: string
}

const MESSAGE_FIELDS = ['message', 'error', 'detail', 'title']

/** The service's own words: a message field of a JSON body, or the body's text. */
function serviceMessage (text: string, statusText: string): string {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body === 'object' && body !== null) {
      for (const field of MESSAGE_FIELDS) {
        const value = (body as Record<string, unknown>)[field]
        if (typeof value === 'string' && value !== '') return value
      }
    }
  } catch {}
  return text.trim().slice(0, 500) || statusText
}

function parseBody (text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

function serviceError (status: number, aiFlowId: string, message: string): ServiceError {
  const err = status === 400
    ? new CallRefusedError(message)
    : status === 404 ? new FlowNotFoundError(aiFlowId, message) : new CallFailedError(status, message)
  return Object.assign(err, { serviceStatus: status, serviceMessage: message })
}

interface Answer {
  status: number
  statusText: string
  text: string
}

/** The innermost cause of a failed request: undici wraps the network error in "fetch failed". */
function rootCause (err: unknown): string {
  let cause = err as Error
  while (cause.cause instanceof Error) cause = cause.cause
  return [cause.name, cause.message].filter(Boolean).join(': ')
}

async function post (url: string, token: string, body: unknown, timeout: number): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeout)
    })
    // The deadline covers the body too: the signal aborts a body that stalls.
    return { status: response.status, statusText: response.statusText, text: await response.text() }
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new CallTimeoutError(timeout)
    throw new ServiceUnreachableError(rootCause(err), { cause: err })
  }
}

/**
 * Asks the AI Flow service to call someone: `POST /v3/ai-flows/{aiFlowId}/call`.
 * Resolves when the service has accepted the call (201); the call's events
 * then arrive like any other's, with `session.direction` `"outbound"`.
 * Rejects with a coded error on any other answer, on a network failure and
 * after `timeout` ms.
 *
 * @example
 * await placeCall(
 *   { aiFlowId: 'f1e2d3c4', toPhoneNumber: '4915790000687', billingDevice: 'e2' },
 *   { token: process.env.AI_FLOW_API_TOKEN ?? '' }
 * )
 */
export async function placeCall (request: OutboundCallRequest, options: OutboundOptions): Promise<OutboundCallResult> {
  const checked = validateCallRequest(request)
  if (!checked.ok) throw new InvalidCallRequestError(formatProblems(checked.problems, 'request'))
  const { token, baseUrl, timeout } = resolveOutboundOptions(options, 'options')
  const { aiFlowId, toPhoneNumber, billingDevice } = checked.value
  const url = `${baseUrl}/v3/ai-flows/${encodeURIComponent(aiFlowId)}/call`
  const { status, statusText, text } = await post(url, token, { billingDevice, toPhoneNumber }, timeout)
  if (status === 201) return { body: parseBody(text) }
  throw serviceError(status, aiFlowId, serviceMessage(text, statusText))
}
