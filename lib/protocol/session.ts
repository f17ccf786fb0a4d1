import { Type, type Static } from '@sinclair/typebox'

/**
 * The `session` object carried by every event. Only `id` is required: the
 * service's pages disagree about which other fields are always present, so
 * they are type-checked when present and unknown properties are allowed.
 * Phone numbers are plain strings: the service sends both `+4921155660` and
 * `4921155660`, and a withheld caller id need not be digits at all.
 */
export const SessionSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    account_id: Type.Optional(Type.String()),
    phone_number: Type.Optional(Type.String()),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    from_phone_number: Type.Optional(Type.String()),
    to_phone_number: Type.Optional(Type.String())
  },
  { $id: 'AiFlowSession', additionalProperties: true }
)

export type Session = Static<typeof SessionSchema>
