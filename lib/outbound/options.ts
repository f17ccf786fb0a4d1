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

/** Hosts on this machine: a test's fake of the API, where the token never crosses a network. */
function isLoopback (hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/** https, or http to this machine only: the API token goes in every request's header, readable to anyone on the way in clear. */
function isSafeUrl (value: string): boolean {
  if (!URL.canParse(value)) return false
  const { protocol, hostname } = new URL(value)
  return protocol === 'https:' || (protocol === 'http:' && isLoopback(hostname))
}

/** Checks the settings of outbound calls and fills in the defaults. */
export function resolveOutboundOptions (value: unknown, name = 'outbound'): Required<OutboundOptions> {
  if (typeof value !== 'object' || value === null) fail(name, value, 'an object with a token')
  const { token, baseUrl = DEFAULT_BASE_URL, timeout = 10_000 } = value as Partial<Record<keyof OutboundOptions, unknown>>
  if (typeof token !== 'string' || !/^[\x21-\x7E]+$/.test(token)) {
    // The token is a secret: its value stays out of the message.
    throw new InvalidOptionError(`${name}.token must be a non-empty string of visible ASCII characters (no spaces or line breaks)`)
  }
  if (typeof baseUrl !== 'string' || !isSafeUrl(baseUrl)) {
    fail(`${name}.baseUrl`, baseUrl, 'an https URL (http only to localhost, 127.0.0.1 or [::1]: the API token would cross the network in clear)')
  }
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout <= 0) fail(`${name}.timeout`, timeout, 'a positive integer')
  // A trailing slash would double the one the path starts with.
  return { token, baseUrl: baseUrl.replace(/\/+$/, ''), timeout }
}
