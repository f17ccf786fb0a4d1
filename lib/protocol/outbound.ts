import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { toProblems } from './problems'
import type { Validation } from './validate'

/**
 * What starting an outbound call takes. Names are camelCase, as the
 * service's outbound-call API has them (unlike the rest of the protocol).
 */
export const OutboundCallRequestSchema = Type.Object(
  {
    /** The AI flow that will run the call; its phone number is the caller id. */
    aiFlowId: Type.String({ minLength: 1 }),
    /** The number to call: digits, with or without a leading `+`. */
    toPhoneNumber: Type.String({ pattern: '^\\+?[0-9]+$', errorMessage: 'must be digits, with or without a leading +' }),
    /** The device the call is billed to, `e2` for example. */
    billingDevice: Type.String({ minLength: 1 })
  },
  { $id: 'AiFlowOutboundCallRequest', additionalProperties: false }
)

export type OutboundCallRequest = Static<typeof OutboundCallRequestSchema>

const requestCheck = TypeCompiler.Compile(OutboundCallRequestSchema)

/** Validates an outbound call request before it leaves. */
export function validateCallRequest (value: unknown): Validation<OutboundCallRequest> {
  if (requestCheck.Check(value)) return { ok: true, value }
  return { ok: false, problems: toProblems(requestCheck.Errors(value)) }
}
