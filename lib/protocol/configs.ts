import { Type, type Static } from '@sinclair/typebox'

/** Base64 as the service expects audio: standard alphabet, optional padding. */
export const Base64Schema = Type.String({
  minLength: 1,
  pattern: '^[A-Za-z0-9+/]+={0,2}$',
  errorMessage: 'must be base64 (a 16 kHz mono 16-bit PCM WAV file)'
})

/** The TTS providers of the service's v1.11, whose fields are checked strictly. */
export const KNOWN_TTS_PROVIDERS = ['azure', 'eleven_labs'] as const
/** The barge-in strategies of the service's v1.11. */
export const KNOWN_BARGE_IN_STRATEGIES = ['none', 'manual', 'minimum_characters', 'immediate'] as const

/**
 * A name the package does not know, in a field that takes a closed list:
 * any other non-empty string. `otherThan` marks it as the union's
 * discriminator, so that a known name with a wrong field is reported for
 * that field, not as a name that is not otherwise known.
 */
function otherThan (known: readonly string[]) {
  return Type.String({ pattern: `^(?!(?:${known.join('|')})$).+$`, otherThan: known })
}

/**
 * A value the service added after the version the package follows: its
 * other fields pass as they are, for the service to judge.
 */
function newer<K extends string> (key: K, known: readonly string[]) {
  return Type.Unsafe<{ [P in K]: string } & Record<string, unknown>>(
    Type.Object({ [key]: otherThan(known) }, { additionalProperties: true })
  )
}

export const TtsSchema = Type.Union(
  [
    Type.Object(
      {
        provider: Type.Literal('azure'),
        language: Type.Optional(Type.String({ minLength: 1 })),
        voice: Type.Optional(Type.String({ minLength: 1 }))
      },
      { additionalProperties: false }
    ),
    Type.Object(
      {
        provider: Type.Literal('eleven_labs'),
        voice: Type.Optional(Type.String({ minLength: 1 }))
      },
      { additionalProperties: false }
    ),
    newer('provider', KNOWN_TTS_PROVIDERS)
  ],
  { $id: 'AiFlowTts' }
)

export const BargeInStrategySchema = Type.Union(KNOWN_BARGE_IN_STRATEGIES.map((name) => Type.Literal(name)))

/**
 * The barge-in configuration of `speak` and `audio` (not the `barge_in`
 * action). A strategy the package does not know passes with its fields as they are.
 */
export const BargeInConfigSchema = Type.Union(
  [
    Type.Object(
      {
        strategy: BargeInStrategySchema,
        minimum_characters: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        allow_after_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 }))
      },
      { additionalProperties: false }
    ),
    newer('strategy', KNOWN_BARGE_IN_STRATEGIES)
  ],
  { $id: 'AiFlowBargeInConfig' }
)

/** Voice activity detection; the service recommends 150–2000 ms and ignores invalid values silently. */
export const VadSchema = Type.Object(
  { end_of_turn_silence_ms: Type.Optional(Type.Integer({ minimum: 0 })) },
  { $id: 'AiFlowVad', additionalProperties: false }
)

export const TranscriptionProviderSchema = Type.Union([
  Type.Literal('AZURE'),
  Type.Literal('DEEPGRAM'),
  Type.Literal('ELEVEN_LABS')
])

/** A BCP 47 style tag such as `de-DE` or `en`. */
export const LanguageTagSchema = Type.String({
  pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$',
  errorMessage: 'must be a language tag such as de-DE'
})

export type Tts = Static<typeof TtsSchema>
export type BargeInConfig = Static<typeof BargeInConfigSchema>
export type BargeInStrategy = Static<typeof BargeInStrategySchema>
export type Vad = Static<typeof VadSchema>
export type TranscriptionProvider = Static<typeof TranscriptionProviderSchema>
