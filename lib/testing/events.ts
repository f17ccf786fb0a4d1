import { randomUUID } from 'node:crypto'
import type { AiFlowEvent, Session } from '../protocol'

/** The flow's own number and the other party's, as the protocol's documented examples have them. */
const FLOW_NUMBER = '+1234567890'
const OTHER_NUMBER = '+9876543210'

/** Events the service sends over the WebSocket only (the protocol's table of events says so). */
export const WEBSOCKET_ONLY_EVENTS: ReadonlySet<string> = new Set(['user_speech_started'])

export type Direction = 'inbound' | 'outbound'

/**
 * The session of a simulated call, shaped like the service's: an inbound
 * call is from the other party to the flow's number, an outbound one the
 * other way round. `fields` replaces any of it.
 *
 * @example
 * const session = simulatedSession('outbound', { to_phone_number: '+4915112345678' })
 */
export function simulatedSession (direction: Direction, fields: Partial<Session> = {}): Session {
  const inbound = direction === 'inbound'
  return {
    id: randomUUID(),
    account_id: 'account-123',
    phone_number: FLOW_NUMBER,
    direction,
    from_phone_number: inbound ? OTHER_NUMBER : FLOW_NUMBER,
    to_phone_number: inbound ? FLOW_NUMBER : OTHER_NUMBER,
    ...fields
  }
}

/**
 * A protocol event of `type` for `session`, with `type` first and `session`
 * last as on the wire.
 *
 * @example
 * await app.inject({ method: 'POST', url: '/webhook', payload: simulatedEvent('dtmf_received', session, { digit: '1' }) })
 */
export function simulatedEvent (type: AiFlowEvent['type'], session: Session, fields: Record<string, unknown> = {}): AiFlowEvent {
  return { type, ...fields, session } as AiFlowEvent
}
