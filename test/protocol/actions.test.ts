import t from 'tap'
import { checkInvalid, type InvalidCase } from '../fixtures/problem-table'
import { actionSchemas, formatProblems, newerNames, validateAction } from '../../lib/protocol'

const sessionId = '550e8400-e29b-41d4-a716-446655440000'
// The documentation's sample: an empty WAV header.
const audio = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA='

const base = {
  speak: { type: 'speak', session_id: sessionId, text: 'Hello! How can I help you?' },
  audio: { type: 'audio', session_id: sessionId, audio },
  mix_audio: { type: 'mix_audio', session_id: sessionId, audio },
  hangup: { type: 'hangup', session_id: sessionId },
  transfer: { type: 'transfer', session_id: sessionId, target_phone_number: '1234567890', caller_id_name: 'Support', caller_id_number: '1234567890' },
  barge_in: { type: 'barge_in', session_id: sessionId },
  configure_transcription: { type: 'configure_transcription', session_id: sessionId },
  configure_voice_to_voice: { type: 'configure_voice_to_voice', session_id: sessionId, system_prompt: 'You are a friendly assistant.' },
  send_sms: { type: 'send_sms', session_id: sessionId, phone_number: '4915112345678', message: 'Your code is 4242.' }
} satisfies Record<keyof typeof actionSchemas, Record<string, unknown>>

type Type = keyof typeof base

function action (type: Type, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...base[type], ...fields }
}

function without (type: Type, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base[type] }
  delete copy[key]
  return copy
}

const bargeIn = (fields: Record<string, unknown>) => action('speak', { barge_in: { strategy: 'minimum_characters', ...fields } })
const words = (count: number, length: number) => Array.from({ length: count }, (_, i) => String(i % 10).repeat(length))

const invalid: InvalidCase[] = [
  { name: 'not an object: null', value: null, path: '', message: /must be an object/ },
  { name: 'not an object: an array', value: [base.hangup], path: '', message: /must be an object/ },
  { name: 'not an object: a string', value: 'hangup', path: '', message: /must be an object/ },
  { name: 'unknown action type', value: { type: 'record', session_id: sessionId }, path: '/type', message: /must be one of speak, audio, mix_audio, hangup, transfer, barge_in, configure_transcription, configure_voice_to_voice, send_sms/ },
  { name: 'type missing', value: { session_id: sessionId }, path: '/type', message: /must be one of speak/ },
  { name: 'type not a string', value: { type: 1, session_id: sessionId }, path: '/type', message: /must be one of speak/ },
  { name: 'an extra property (actions are strict)', value: action('hangup', { reason: 'done' }), path: '/reason', message: /is not allowed/ },
  { name: 'missing session_id', value: without('hangup', 'session_id'), path: '/session_id', message: /is required/ },
  { name: 'empty session_id', value: action('barge_in', { session_id: '' }), path: '/session_id', message: /must not be empty/ },
  { name: 'session_id not a string', value: action('transfer', { session_id: 42 }), path: '/session_id', message: /must be a string/ },

  { name: 'speak with both text and ssml', value: action('speak', { ssml: '<speak>Hi</speak>' }), path: '', message: /exactly one of text or ssml/ },
  { name: 'speak with neither text nor ssml', value: without('speak', 'text'), path: '', message: /exactly one of text or ssml/ },
  { name: 'speak with empty text', value: action('speak', { text: '' }), path: '/text', message: /must not be empty/ },
  { name: 'speak with empty ssml', value: { type: 'speak', session_id: sessionId, ssml: '' }, path: '/ssml', message: /must not be empty/ },
  { name: 'speak text not a string', value: action('speak', { text: 42 }), path: '/text', message: /must be a string/ },
  { name: 'speak with an extra property', value: action('speak', { voice: 'en-US-JennyNeural' }), path: '/voice', message: /is not allowed/ },
  { name: 'speak with an empty tts provider', value: action('speak', { tts: { provider: '' } }), path: '/tts/provider', message: /must be one of "azure", "eleven_labs", or the name of a newer one/ },
  { name: 'speak with a tts provider that is not a string', value: action('speak', { tts: { provider: 7 } }), path: '/tts/provider', message: /must be a string/ },
  { name: 'speak with a tts without provider', value: action('speak', { tts: { voice: 'en-US-JennyNeural' } }), path: '/tts/provider', message: /is required/ },
  { name: 'speak with a tts that is not an object', value: action('speak', { tts: 'azure' }), path: '/tts', message: /must be an object/ },
  { name: 'speak with azure tts and an unknown property', value: action('speak', { tts: { provider: 'azure', pitch: 'high' } }), path: '/tts/pitch', message: /is not allowed/ },
  { name: 'speak with azure tts and a voice that is not a string', value: action('speak', { tts: { provider: 'azure', voice: 5 } }), path: '/tts/voice', message: /must be a string/ },
  { name: 'speak with eleven_labs tts and a language', value: action('speak', { tts: { provider: 'eleven_labs', language: 'de-DE' } }), path: '/tts/language', message: /is not allowed/ },
  { name: 'speak with eleven_labs tts and an empty voice', value: action('speak', { tts: { provider: 'eleven_labs', voice: '' } }), path: '/tts/voice', message: /must not be empty/ },
  { name: 'barge_in strategy empty', value: bargeIn({ strategy: '' }), path: '/barge_in/strategy', message: /must be one of "none", "manual", "minimum_characters", "immediate", or the name of a newer one/ },
  { name: 'barge_in strategy not a string', value: bargeIn({ strategy: 3 }), path: '/barge_in/strategy', message: /must be a string/ },
  { name: 'barge_in without strategy', value: action('speak', { barge_in: { allow_after_ms: 500 } }), path: '/barge_in/strategy', message: /is required/ },
  { name: 'barge_in with an unknown property', value: bargeIn({ after: 5 }), path: '/barge_in/after', message: /is not allowed/ },
  { name: 'minimum_characters 0', value: bargeIn({ minimum_characters: 0 }), path: '/barge_in/minimum_characters', message: /must be >= 1/ },
  { name: 'minimum_characters 101', value: bargeIn({ minimum_characters: 101 }), path: '/barge_in/minimum_characters', message: /must be <= 100/ },
  { name: 'minimum_characters 2.5', value: bargeIn({ minimum_characters: 2.5 }), path: '/barge_in/minimum_characters', message: /must be an integer/ },
  { name: 'allow_after_ms -1', value: bargeIn({ allow_after_ms: -1 }), path: '/barge_in/allow_after_ms', message: /must be >= 0/ },
  { name: 'allow_after_ms 10001', value: bargeIn({ allow_after_ms: 10001 }), path: '/barge_in/allow_after_ms', message: /must be <= 10000/ },
  { name: 'user_input_timeout_seconds 0', value: action('speak', { user_input_timeout_seconds: 0 }), path: '/user_input_timeout_seconds', message: /must be > 0/ },
  { name: 'user_input_timeout_seconds "5" (no coercion)', value: action('speak', { user_input_timeout_seconds: '5' }), path: '/user_input_timeout_seconds', message: /must be a number/ },
  { name: 'vad end_of_turn_silence_ms 1.5', value: action('speak', { vad: { end_of_turn_silence_ms: 1.5 } }), path: '/vad/end_of_turn_silence_ms', message: /must be an integer/ },
  { name: 'vad end_of_turn_silence_ms -1', value: action('speak', { vad: { end_of_turn_silence_ms: -1 } }), path: '/vad/end_of_turn_silence_ms', message: /must be >= 0/ },
  { name: 'vad with an unknown property', value: action('speak', { vad: { threshold: 0.5 } }), path: '/vad/threshold', message: /is not allowed/ },

  { name: 'audio without audio', value: without('audio', 'audio'), path: '/audio', message: /is required/ },
  { name: 'audio that is not base64', value: action('audio', { audio: 'not base64!' }), path: '/audio', message: /must be base64/ },
  { name: 'audio that is a data URL', value: action('audio', { audio: `data:audio/wav;base64,${audio}` }), path: '/audio', message: /must be base64/ },
  { name: 'audio that is empty', value: action('audio', { audio: '' }), path: '/audio', message: /must not be empty/ },
  { name: 'audio with a bad barge_in', value: action('audio', { barge_in: { strategy: 'immediate', allow_after_ms: -1 } }), path: '/barge_in/allow_after_ms', message: /must be >= 0/ },
  { name: 'audio with tts (speak only)', value: action('audio', { tts: { provider: 'azure' } }), path: '/tts', message: /is not allowed/ },

  { name: 'mix_audio without audio and without stop', value: without('mix_audio', 'audio'), path: '/audio', message: /is required unless stop is true/ },
  { name: 'mix_audio with stop false and no audio', value: { type: 'mix_audio', session_id: sessionId, stop: false }, path: '/audio', message: /is required unless stop is true/ },
  { name: 'mix_audio with stop "true" and no audio', value: { type: 'mix_audio', session_id: sessionId, stop: 'true' }, path: '/audio', message: /is required unless stop is true/ },
  { name: 'mix_audio with stop "true" and audio', value: action('mix_audio', { stop: 'true' }), path: '/stop', message: /must be a boolean/ },
  { name: 'mix_audio volume 1.5', value: action('mix_audio', { volume: 1.5 }), path: '/volume', message: /must be <= 1/ },
  { name: 'mix_audio volume -0.1', value: action('mix_audio', { volume: -0.1 }), path: '/volume', message: /must be >= 0/ },
  { name: 'mix_audio stop with volume 1.5', value: { type: 'mix_audio', session_id: sessionId, stop: true, volume: 1.5 }, path: '/volume', message: /must be <= 1/ },
  { name: 'mix_audio stop with audio that is not base64', value: { type: 'mix_audio', session_id: sessionId, stop: true, audio: '%%%' }, path: '/audio', message: /must be base64/ },
  { name: 'mix_audio with an extra property', value: action('mix_audio', { loop: true }), path: '/loop', message: /is not allowed/ },

  ...(['target_phone_number', 'caller_id_name', 'caller_id_number'].map((field) => (
    { name: `transfer without ${field}`, value: without('transfer', field), path: `/${field}`, message: /is required/ }
  ))),
  { name: 'transfer with an empty target_phone_number', value: action('transfer', { target_phone_number: '' }), path: '/target_phone_number', message: /must not be empty/ },
  { name: 'transfer timeout 4', value: action('transfer', { timeout: 4 }), path: '/timeout', message: /must be >= 5/ },
  { name: 'transfer timeout 121', value: action('transfer', { timeout: 121 }), path: '/timeout', message: /must be <= 120/ },
  { name: 'transfer timeout 30.5', value: action('transfer', { timeout: 30.5 }), path: '/timeout', message: /must be an integer/ },

  { name: 'configure_transcription provider GOOGLE', value: action('configure_transcription', { provider: 'GOOGLE' }), path: '/provider', message: /must be one of "AZURE", "DEEPGRAM", "ELEVEN_LABS"/ },
  { name: 'configure_transcription provider in lower case', value: action('configure_transcription', { provider: 'azure' }), path: '/provider', message: /must be one of/ },
  { name: 'configure_transcription languages not an array', value: action('configure_transcription', { languages: 'de-DE' }), path: '/languages', message: /must be an array/ },
  { name: 'configure_transcription languages []', value: action('configure_transcription', { languages: [] }), path: '/languages', message: /must have at least 1 item$/ },
  { name: 'configure_transcription 5 languages', value: action('configure_transcription', { languages: ['de-DE', 'en-US', 'fr-FR', 'es-ES', 'it-IT'] }), path: '/languages', message: /must have at most 4 items/ },
  { name: 'configure_transcription language "not a tag!"', value: action('configure_transcription', { languages: ['not a tag!'] }), path: '/languages/0', message: /must be a language tag such as de-DE/ },
  { name: 'configure_transcription language that is not a string', value: action('configure_transcription', { languages: ['de-DE', 49] }), path: '/languages/1', message: /must be a string/ },
  { name: 'configure_transcription 101 vocabulary entries', value: action('configure_transcription', { custom_vocabulary: words(101, 5) }), path: '/custom_vocabulary', message: /must have at most 100 items/ },
  { name: 'configure_transcription a vocabulary entry of 201 characters', value: action('configure_transcription', { custom_vocabulary: ['sipgate', 'x'.repeat(201)] }), path: '/custom_vocabulary/1', message: /must be at most 200 characters/ },
  { name: 'configure_transcription vad not an object', value: action('configure_transcription', { vad: 500 }), path: '/vad', message: /must be an object/ },

  { name: 'configure_voice_to_voice without system_prompt', value: without('configure_voice_to_voice', 'system_prompt'), path: '/system_prompt', message: /is required/ },
  { name: 'configure_voice_to_voice temperature 2.1', value: action('configure_voice_to_voice', { temperature: 2.1 }), path: '/temperature', message: /must be <= 2/ },
  { name: 'configure_voice_to_voice temperature -0.1', value: action('configure_voice_to_voice', { temperature: -0.1 }), path: '/temperature', message: /must be >= 0/ },
  { name: 'configure_voice_to_voice greeting not a string', value: action('configure_voice_to_voice', { greeting: true }), path: '/greeting', message: /must be a string/ },

  { name: 'send_sms phone_number abc', value: action('send_sms', { phone_number: 'abc' }), path: '/phone_number', message: /must be digits, optionally after a \+/ },
  { name: 'send_sms phone_number with spaces', value: action('send_sms', { phone_number: '+49 151 12345678' }), path: '/phone_number', message: /must be digits/ },
  { name: 'send_sms phone_number a number', value: action('send_sms', { phone_number: 4915112345678 }), path: '/phone_number', message: /must be a string/ },
  { name: 'send_sms without message', value: without('send_sms', 'message'), path: '/message', message: /is required/ }
]

checkInvalid(t, validateAction, invalid)

const valid: Array<{ name: string, value: Record<string, unknown> }> = [
  ...Object.entries(base).map(([type, value]) => ({ name: `${type} with only its required fields`, value })),
  { name: 'speak with ssml', value: { type: 'speak', session_id: sessionId, ssml: '<speak>Hi</speak>' } },
  { name: 'speak with every option', value: action('speak', { tts: { provider: 'azure', language: 'de-DE', voice: 'de-DE-KatjaNeural' }, barge_in: { strategy: 'manual' }, user_input_timeout_seconds: 0.5, vad: {} }) },
  { name: 'speak with eleven_labs tts and no voice', value: action('speak', { tts: { provider: 'eleven_labs' } }) },
  ...['none', 'manual', 'minimum_characters', 'immediate'].map((strategy) => ({ name: `barge_in strategy ${strategy}`, value: action('speak', { barge_in: { strategy } }) })),
  { name: 'minimum_characters 1', value: bargeIn({ minimum_characters: 1 }) },
  { name: 'minimum_characters 100', value: bargeIn({ minimum_characters: 100 }) },
  { name: 'allow_after_ms 0', value: bargeIn({ allow_after_ms: 0 }) },
  { name: 'allow_after_ms 10000', value: bargeIn({ allow_after_ms: 10000 }) },
  { name: 'speak with a tts provider newer than v1.11, its fields as they are', value: action('speak', { tts: { provider: 'kugel_audio', voice: 'anna', speed: 1.1 } }) },
  { name: 'speak with a barge_in strategy newer than v1.11', value: action('speak', { barge_in: { strategy: 'semantic', sensitivity: 0.4 } }) },
  { name: 'audio with a barge_in', value: action('audio', { barge_in: { strategy: 'immediate', allow_after_ms: 250 } }) },
  { name: 'audio without padding', value: action('audio', { audio: 'UklGRg' }) },
  { name: 'mix_audio stop true without audio', value: { type: 'mix_audio', session_id: sessionId, stop: true } },
  { name: 'mix_audio stop true with audio and volume', value: action('mix_audio', { stop: true, volume: 0.2 }) },
  { name: 'mix_audio stop false with audio', value: action('mix_audio', { stop: false }) },
  { name: 'mix_audio volume 0', value: action('mix_audio', { volume: 0 }) },
  { name: 'mix_audio volume 1', value: action('mix_audio', { volume: 1 }) },
  { name: 'transfer timeout 5', value: action('transfer', { timeout: 5 }) },
  { name: 'transfer timeout 120', value: action('transfer', { timeout: 120 }) },
  { name: 'configure_transcription with every option', value: action('configure_transcription', { provider: 'ELEVEN_LABS', languages: ['de-DE'], custom_vocabulary: [], vad: { end_of_turn_silence_ms: 800 } }) },
  { name: 'configure_transcription 4 languages', value: action('configure_transcription', { languages: ['de-DE', 'en', 'fr-FR', 'zh-Hans-CN'] }) },
  { name: 'configure_transcription 100 vocabulary entries of 200 characters', value: action('configure_transcription', { custom_vocabulary: words(100, 200) }) },
  { name: 'configure_voice_to_voice temperature 0', value: action('configure_voice_to_voice', { temperature: 0 }) },
  { name: 'configure_voice_to_voice temperature 2', value: action('configure_voice_to_voice', { temperature: 2 }) },
  { name: 'configure_voice_to_voice with every option', value: action('configure_voice_to_voice', { greeting: '', temperature: 0.8, language: 'de' }) },
  { name: 'send_sms with a leading +', value: action('send_sms', { phone_number: '+4915112345678' }) }
]

for (const { name, value } of valid) {
  t.test(`passes: ${name}`, async (t) => {
    const result = validateAction(value)
    t.same(result, { ok: true, value })
    t.equal(result.ok && result.value, value, 'the very same object, not a copy')
  })
}

t.test('problems read well', async (t) => {
  const cases: Array<[unknown, string]> = [
    [without('speak', 'text'), 'action must have exactly one of text or ssml'],
    [action('transfer', { timeout: 121, caller_id_name: '' }), 'action/caller_id_name must not be empty, action/timeout must be <= 120'],
    [action('speak', { tts: { provider: 'eleven_labs', language: 'de-DE' } }), 'action/tts/language is not allowed'],
    [{ type: 'mix_audio', session_id: sessionId }, 'action/audio is required unless stop is true']
  ]
  for (const [value, expected] of cases) {
    const result = validateAction(value)
    t.equal(result.ok ? '' : formatProblems(result.problems, 'action'), expected)
  }
})

t.test('newerNames names the providers and strategies newer than v1.11, and only those', async (t) => {
  const known = validateAction(action('speak', { tts: { provider: 'azure' }, barge_in: { strategy: 'manual' } }))
  t.same(known.ok && newerNames(known.value), [])
  const newer = validateAction(action('speak', { tts: { provider: 'kugel_audio' }, barge_in: { strategy: 'semantic' } }))
  t.same(newer.ok && newerNames(newer.value), ['tts.provider=kugel_audio', 'barge_in.strategy=semantic'])
  const audio = validateAction(action('audio', { barge_in: { strategy: 'semantic' } }))
  t.same(audio.ok && newerNames(audio.value), ['barge_in.strategy=semantic'])
  const hangup = validateAction(base.hangup)
  t.same(hangup.ok && newerNames(hangup.value), [])
})
