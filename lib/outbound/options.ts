import { InvalidOptionError } from '../errors'

export interface OutboundOptions {
  /** A token for the service's API, sent as `Authorization: Bearer <token>`. */
  token: string
  /** Where the service's API lives. Default `https://api.sipgate.com`. */
  baseUrl?: string
  /** How long a call request may take, in ms. Default 10000. */
  timeout?: number
}

const DEFAULT_BASE_URL = 'https://api.sipgate.com'

function fail (name: string, given: unknown, allowed: string): never {
  throw new InvalidOptionError(`${name} must be ${allowed}, got ${JSON.stringify(given) ?? String(given)}`)
}

function isHttpUrl (value: string): boolean {
  return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol)
}

/** Checks the settings of outbound calls and fills in the defaults. */
export function resolveOutboundOptions (value: unknown, name = 'outbound'): Required<OutboundOptions> {
  if (typeof value !== 'object' || value === null) fail(name, value, 'an object with a token')
  const { token, baseUrl = DEFAULT_BASE_URL, timeout = 10_000 } = value as Partial<Record<keyof OutboundOptions, unknown>>
  if (typeof token !== 'string' || !/^[\x21-\x7E]+$/.test(token)) {
    // The token is a secret: its value stays out of the message.
    throw new InvalidOptionError(`${name}.token must be a non-empty string of visible ASCII characters (no spaces or line breaks)`)
  }
  if (typeof baseUrl !== 'string' || !isHttpUrl(baseUrl)) fail(`${name}.baseUrl`, baseUrl, 'an http or https URL')
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout <= 0) fail(`${name}.timeout`, timeout, 'a positive integer')
  // A trailing slash would double the one the path starts with.
  return { token, baseUrl: baseUrl.replace(/\/+$/, ''), timeout }
}
