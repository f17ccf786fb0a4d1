import { Type, type Static } from '@sinclair/typebox'

/** Base64 as the service expects audio: standard alphabet, optional padding. */
export const Base64Schema = Type.String({
  minLength: 1,
  pattern: '^[A-Za-z0-9+/]+={0,2}$',
  errorMessage: 'must be base64 (a 16 kHz mono 16-bit PCM WAV file)'
})

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
    )
  ],
  { $id: 'AiFlowTts' }
)

export const BargeInStrategySchema = Type.Union([
  Type.Literal('none'),
  Type.Literal('manual'),
  Type.Literal('minimum_characters'),
  Type.Literal('immediate')
])

/** The barge-in configuration of `speak` and `audio` (not the `barge_in` action). */
export const BargeInConfigSchema = Type.Object(
  {
    strategy: BargeInStrategySchema,
    minimum_characters: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    allow_after_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 }))
  },
  { $id: 'AiFlowBargeInConfig', additionalProperties: false }
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
