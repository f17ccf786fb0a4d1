import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import { SessionSchema } from './session'

function event<T extends string, P extends TProperties> (type: T, properties: P) {
  return Type.Object(
    { type: Type.Literal(type), session: SessionSchema, ...properties },
    { $id: `AiFlowEvent_${type}`, additionalProperties: true }
  )
}

export const SessionStartEventSchema = event('session_start', {})
export const UserSpeechStartedEventSchema = event('user_speech_started', {})
export const UserSpeakEventSchema = event('user_speak', {
  text: Type.String(),
  barged_in: Type.Optional(Type.Boolean())
})
export const DtmfReceivedEventSchema = event('dtmf_received', {
  digit: Type.String({ pattern: '^[0-9*#]$', errorMessage: 'must be exactly one of 0-9, * or #' })
})
export const AssistantSpeakEventSchema = event('assistant_speak', {
  text: Type.Optional(Type.String()),
  ssml: Type.Optional(Type.String()),
  duration_ms: Type.Optional(Type.Number({ minimum: 0 })),
  speech_started_at: Type.Optional(Type.Number({ minimum: 0 }))
})
export const AssistantSpeechEndedEventSchema = event('assistant_speech_ended', {})
export const UserInputTimeoutEventSchema = event('user_input_timeout', {})
export const SessionEndEventSchema = event('session_end', {})
/** The documentation says only that it "includes reason"; `reason` is the expected name. */
export const SmsFailedEventSchema = event('sms_failed', {
  reason: Type.Optional(Type.String())
})

/** Every documented event, by its `type`. */
export const eventSchemas = {
  session_start: SessionStartEventSchema,
  user_speech_started: UserSpeechStartedEventSchema,
  user_speak: UserSpeakEventSchema,
  dtmf_received: DtmfReceivedEventSchema,
  assistant_speak: AssistantSpeakEventSchema,
  assistant_speech_ended: AssistantSpeechEndedEventSchema,
  user_input_timeout: UserInputTimeoutEventSchema,
  session_end: SessionEndEventSchema,
  sms_failed: SmsFailedEventSchema
} as const satisfies Record<string, TObject>

/**
 * What every event, documented or not, must have: a snake_case `type` and
 * a session with a non-empty id. Event types the service adds later pass this check
 * and reach the flow.
 */
export const EventEnvelopeSchema = Type.Object(
  {
    // snake_case like every documented type: this also keeps XState's own
    // event names (`xstate.done.actor.…`, `*`) out of reach of a caller.
    type: Type.String({ pattern: '^[a-z][a-z0-9_]*$', errorMessage: 'must be a snake_case event name' }),
    session: SessionSchema
  },
  { $id: 'AiFlowEventEnvelope', additionalProperties: true }
)

/** The webhook body: one of the documented events, or a newer one. */
export const AiFlowEventSchema = Type.Union(
  [...Object.values(eventSchemas), EventEnvelopeSchema],
  { $id: 'AiFlowEvent' }
)

export type EventType = keyof typeof eventSchemas
export type SessionStartEvent = Static<typeof SessionStartEventSchema>
export type UserSpeechStartedEvent = Static<typeof UserSpeechStartedEventSchema>
export type UserSpeakEvent = Static<typeof UserSpeakEventSchema>
export type DtmfReceivedEvent = Static<typeof DtmfReceivedEventSchema>
export type AssistantSpeakEvent = Static<typeof AssistantSpeakEventSchema>
export type AssistantSpeechEndedEvent = Static<typeof AssistantSpeechEndedEventSchema>
export type UserInputTimeoutEvent = Static<typeof UserInputTimeoutEventSchema>
export type SessionEndEvent = Static<typeof SessionEndEventSchema>
export type SmsFailedEvent = Static<typeof SmsFailedEventSchema>

/** One of the nine documented events. */
export type AiFlowEvent = { [K in EventType]: Static<(typeof eventSchemas)[K]> }[EventType]

/** Events whose HTTP reply the service ignores: the reply is always 204. */
export const SILENT_EVENTS: ReadonlySet<string> = new Set(['session_end', 'user_speech_started'])
