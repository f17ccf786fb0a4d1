import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import {
  Base64Schema, BargeInConfigSchema, LanguageTagSchema, TranscriptionProviderSchema, TtsSchema, VadSchema
} from './configs'

const SessionId = Type.String({ minLength: 1 })
const NonEmpty = Type.String({ minLength: 1 })

function action<T extends string, P extends TProperties> (type: T, properties: P, id: string = type) {
  return Type.Object(
    { type: Type.Literal(type), session_id: SessionId, ...properties },
    { $id: `AiFlowAction_${id}`, additionalProperties: false }
  )
}

const speakOptions = {
  tts: Type.Optional(TtsSchema),
  barge_in: Type.Optional(BargeInConfigSchema),
  user_input_timeout_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  vad: Type.Optional(VadSchema)
}

/** `speak` needs exactly one of `text` and `ssml`. */
export const SpeakActionSchema = Type.Union(
  [
    action('speak', { text: NonEmpty, ...speakOptions }, 'speak_text'),
    action('speak', { ssml: NonEmpty, ...speakOptions }, 'speak_ssml')
  ],
  { $id: 'AiFlowAction_speak' }
)

export const AudioActionSchema = action('audio', {
  audio: Base64Schema,
  barge_in: Type.Optional(BargeInConfigSchema)
})

const Volume = Type.Number({ minimum: 0, maximum: 1 })

/** `mix_audio` needs `audio` unless `stop` is `true`. */
export const MixAudioActionSchema = Type.Union(
  [
    action('mix_audio', { audio: Base64Schema, volume: Type.Optional(Volume), stop: Type.Optional(Type.Boolean()) }, 'mix_audio_play'),
    action('mix_audio', { stop: Type.Literal(true), audio: Type.Optional(Base64Schema), volume: Type.Optional(Volume) }, 'mix_audio_stop')
  ],
  { $id: 'AiFlowAction_mix_audio' }
)

export const HangupActionSchema = action('hangup', {})

export const TransferActionSchema = action('transfer', {
  target_phone_number: NonEmpty,
  caller_id_name: NonEmpty,
  caller_id_number: NonEmpty,
  timeout: Type.Optional(Type.Integer({ minimum: 5, maximum: 120 }))
})

export const BargeInActionSchema = action('barge_in', {})

export const ConfigureTranscriptionActionSchema = action('configure_transcription', {
  provider: Type.Optional(TranscriptionProviderSchema),
  languages: Type.Optional(Type.Array(LanguageTagSchema, { minItems: 1, maxItems: 4 })),
  custom_vocabulary: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  vad: Type.Optional(VadSchema)
})

export const ConfigureVoiceToVoiceActionSchema = action('configure_voice_to_voice', {
  system_prompt: NonEmpty,
  greeting: Type.Optional(Type.String()),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  language: Type.Optional(NonEmpty)
})

export const SendSmsActionSchema = action('send_sms', {
  phone_number: Type.String({ pattern: '^\\+?[0-9]+$', errorMessage: 'must be digits, optionally after a +' }),
  message: NonEmpty
})

/** Every action, by its `type`. */
export const actionSchemas = {
  speak: SpeakActionSchema,
  audio: AudioActionSchema,
  mix_audio: MixAudioActionSchema,
  hangup: HangupActionSchema,
  transfer: TransferActionSchema,
  barge_in: BargeInActionSchema,
  configure_transcription: ConfigureTranscriptionActionSchema,
  configure_voice_to_voice: ConfigureVoiceToVoiceActionSchema,
  send_sms: SendSmsActionSchema
} as const satisfies Record<string, TSchema>

export const AiFlowActionSchema = Type.Union(Object.values(actionSchemas), { $id: 'AiFlowAction' })

/** A reply body: one action, or several executed in order. */
export const AiFlowReplySchema = Type.Union([AiFlowActionSchema, Type.Array(AiFlowActionSchema, { minItems: 1 })], {
  $id: 'AiFlowReply'
})

export type ActionType = keyof typeof actionSchemas
export type SpeakAction = Static<typeof SpeakActionSchema>
export type AudioAction = Static<typeof AudioActionSchema>
export type MixAudioAction = Static<typeof MixAudioActionSchema>
export type HangupAction = Static<typeof HangupActionSchema>
export type TransferAction = Static<typeof TransferActionSchema>
export type BargeInAction = Static<typeof BargeInActionSchema>
export type ConfigureTranscriptionAction = Static<typeof ConfigureTranscriptionActionSchema>
export type ConfigureVoiceToVoiceAction = Static<typeof ConfigureVoiceToVoiceActionSchema>
export type SendSmsAction = Static<typeof SendSmsActionSchema>

/** An action as it goes on the wire, with `session_id`. */
export type AiFlowAction = Static<typeof AiFlowActionSchema>

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** An action as a flow emits it: the plugin fills in `session_id`. */
export type FlowAction = DistributiveOmit<AiFlowAction, 'session_id'>
