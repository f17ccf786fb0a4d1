import { parse as secureJsonParse } from 'secure-json-parse'
import type { ConstructorAction, ProtoAction } from 'fastify'
import { formatProblems, validateEvent, type Session } from '../protocol'
import { InvalidEventError, InvalidFrameError } from '../errors'
import { nestsDeeperThan, tooDeep } from './json-depth'

export interface FrameEvent {
  type: string
  session: Session
}

export interface ReadFrame {
  /** The valid events of the frame, in order. */
  events: FrameEvent[]
  /** Why the frame, or some of its events, were ignored. */
  errors: Error[]
}

export interface FrameLimits {
  /** The largest frame, in bytes: `ws` refuses larger ones unless the application set its own, larger limit. */
  maxPayload: number
  /** The deepest nesting of arrays and objects. */
  maxDepth: number
  /** What a `__proto__` key does: the application's `onProtoPoisoning`, as for the webhook's body. */
  onProtoPoisoning: ProtoAction
  /** What a `constructor.prototype` key does: the application's `onConstructorPoisoning`. */
  onConstructorPoisoning: ConstructorAction
}

/**
 * Parses a frame as Fastify parses the webhook's body (secure-json-parse,
 * with the application's settings): a body refused over HTTP must not reach
 * the flow over the WebSocket.
 */
function parse (text: string, { onProtoPoisoning, onConstructorPoisoning }: FrameLimits): unknown {
  try {
    return secureJsonParse(text, null, { protoAction: onProtoPoisoning, constructorAction: onConstructorPoisoning })
  } catch (err) {
    const message = (err as Error).message
    return new InvalidFrameError(message === FORBIDDEN
      ? 'a __proto__ or constructor.prototype key, refused as the webhook refuses it (onProtoPoisoning, onConstructorPoisoning)'
      : `not JSON (${message})`)
  }
}

/** What secure-json-parse throws for a key that could poison a prototype; JSON.parse's own errors say something else. */
const FORBIDDEN = 'Object contains forbidden prototype property'

/**
 * Reads one WebSocket frame: one event, or an array of events. Each event
 * is validated on its own, so one bad event in an array costs only itself.
 */
export function readFrame (data: Buffer, isBinary: boolean, limits: FrameLimits): ReadFrame {
  const { maxPayload, maxDepth } = limits
  if (isBinary) return { events: [], errors: [new InvalidFrameError('a binary frame; events are JSON text')] }
  if (data.length > maxPayload) {
    return { events: [], errors: [new InvalidFrameError(`${data.length} bytes, over the limit of ${maxPayload}`)] }
  }
  const text = data.toString('utf8')
  if (nestsDeeperThan(text, maxDepth)) return { events: [], errors: [new InvalidFrameError(tooDeep(maxDepth))] }
  const parsed = parse(text, limits)
  if (parsed instanceof InvalidFrameError) return { events: [], errors: [parsed] }
  const batch = Array.isArray(parsed)
  const items: unknown[] = batch ? parsed : [parsed]
  if (items.length === 0) return { events: [], errors: [new InvalidFrameError('an empty array')] }
  const frame: ReadFrame = { events: [], errors: [] }
  items.forEach((item, index) => {
    const result = validateEvent(item)
    if (result.ok) frame.events.push(result.value as FrameEvent)
    else frame.errors.push(new InvalidEventError(formatProblems(result.problems, batch ? `frame[${index}]` : 'frame')))
  })
  return frame
}
