import type {
  AudioAction, BargeInAction, ConfigureTranscriptionAction, ConfigureVoiceToVoiceAction, HangupAction,
  MixAudioAction, SendSmsAction, SpeakAction, TransferAction
} from '../protocol'

type Fields<T> = T extends unknown ? Omit<T, 'type' | 'session_id'> : never
type Emitted<T> = T extends unknown ? Omit<T, 'session_id'> : never

export type SpeakFlowAction = Emitted<SpeakAction>
export type SpeakOptions = Omit<Fields<SpeakAction>, 'text' | 'ssml'>

/**
 * Say something: `speak('Hello!')`, `speak('Which department?', { user_input_timeout_seconds: 6 })`
 * or `speak({ ssml: '<speak>…</speak>' })`.
 *
 * @example
 * entry: emit(speak('Welcome to Acme!', { barge_in: { strategy: 'minimum_characters' } }))
 */
export function speak (text: string, options?: SpeakOptions): SpeakFlowAction
export function speak (fields: Fields<SpeakAction>): SpeakFlowAction
export function speak (textOrFields: string | Fields<SpeakAction>, options?: SpeakOptions): SpeakFlowAction {
  const fields = typeof textOrFields === 'string' ? { text: textOrFields, ...options } : textOrFields
  return { type: 'speak', ...fields } as SpeakFlowAction
}

/**
 * What a `speak` action says: its `text`, or its `ssml` as written; undefined
 * for any other action (or none). A speak carries one of the two, so reading
 * `.text` of a reply's action needs two narrowings; this is both.
 *
 * @example
 * assert.match(speechText(turns[1].actions[0]) ?? '', /^Are you still there\?/)
 */
export function speechText (action: { type: string } | undefined): string | undefined {
  if (action?.type !== 'speak') return undefined
  const speech = action as SpeakFlowAction
  return 'text' in speech ? speech.text : speech.ssml
}

/** Play a base64 WAV file (16 kHz, mono, 16-bit PCM). */
export function audio (data: string, options?: Omit<Fields<AudioAction>, 'audio'>): Emitted<AudioAction> {
  return { type: 'audio', audio: data, ...options }
}

/** Loop background audio under the call, or stop it with `mixAudio({ stop: true })`. */
export function mixAudio (fields: Fields<MixAudioAction>): Emitted<MixAudioAction> {
  return { type: 'mix_audio', ...fields } as Emitted<MixAudioAction>
}

/** End the call. */
export function hangup (): Emitted<HangupAction> {
  return { type: 'hangup' }
}

/** Transfer the call; with `timeout`, a failed transfer sends `session_start` again. */
export function transfer (fields: Fields<TransferAction>): Emitted<TransferAction> {
  return { type: 'transfer', ...fields }
}

/** Stop whatever is playing now. */
export function bargeIn (): Emitted<BargeInAction> {
  return { type: 'barge_in' }
}

/** Change speech recognition for the rest of the call. */
export function configureTranscription (fields: Fields<ConfigureTranscriptionAction>): Emitted<ConfigureTranscriptionAction> {
  return { type: 'configure_transcription', ...fields }
}

/** Hand the conversation to the service's voice-to-voice model (a preview feature). */
export function configureVoiceToVoice (fields: Fields<ConfigureVoiceToVoiceAction>): Emitted<ConfigureVoiceToVoiceAction> {
  return { type: 'configure_voice_to_voice', ...fields }
}

/** Send a text message; a failure comes back as `sms_failed`. */
export function sendSms (fields: Fields<SendSmsAction>): Emitted<SendSmsAction> {
  return { type: 'send_sms', ...fields }
}
