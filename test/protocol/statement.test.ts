import fs from 'node:fs'
import t from 'tap'
import { SILENT_EVENTS, validateAction } from '../../lib/protocol'
import { example, examplesDir } from '../fixtures/helpers'
import { actionProblem, NOTHING_TO_ANSWER, replyBodyProblem } from '../fixtures/protocol-statement'

/*
 * The protocol statement (test/fixtures/protocol-statement.ts) judges the
 * plugin's replies in other tests. Here it is held to the documented
 * examples, and to the plugin: on every example and on every broken variant
 * below, the two say the same.
 */

const SESSION = '550e8400-e29b-41d4-a716-446655440000'

const actionExamples = fs.readdirSync(examplesDir)
  .filter((name) => name.startsWith('action-') && name.endsWith('.json'))
  .map((name) => name.slice(0, -'.json'.length))

t.test('every documented action passes the statement, as it passes the plugin', async (t) => {
  t.ok(actionExamples.length >= 15, `${actionExamples.length} action examples`)
  for (const name of actionExamples) {
    const action = example(name)
    t.equal(actionProblem(action), undefined, `${name}: the statement takes it`)
    t.equal(validateAction(action).ok, true, `${name}: so does the plugin`)
    t.equal(replyBodyProblem(action, SESSION), undefined, `${name}: a reply of one action`)
  }
  t.equal(replyBodyProblem(example('reply-array'), SESSION), undefined, 'the documented reply of two actions')
})

/** An example with some fields changed; a field set to undefined is taken out. */
function changed (name: string, changes: Record<string, unknown>): Record<string, unknown> {
  const action: Record<string, unknown> = { ...example(name), ...changes }
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete action[key]
  return action
}

const broken: Array<[string, unknown, RegExp]> = [
  ['speak with both text and ssml', changed('action-speak', { ssml: '<speak/>' }), /exactly one of text and ssml/],
  ['speak with neither', changed('action-speak', { text: undefined }), /exactly one of text and ssml/],
  ['speak with empty text', changed('action-speak', { text: '' }), /action\.text must not be empty/],
  ['speak with a number for text', changed('action-speak', { text: 5 }), /action\.text must be a string/],
  ['speak with a field it has not', changed('action-speak', { volume: 1 }), /action\.volume is not a field of it/],
  ['a tts provider that is not a name', changed('action-speak', { tts: { provider: '' } }), /tts\.provider must be "azure", "eleven_labs" or a newer/],
  ['a tts without a provider', changed('action-speak', { tts: { voice: 'x' } }), /tts\.provider must be "azure", "eleven_labs" or a newer/],
  ['tts that is not an object', changed('action-speak', { tts: 'azure' }), /action\.tts must be an object/],
  ['an ElevenLabs voice with a language', changed('action-speak-eleven_labs', { tts: { provider: 'eleven_labs', language: 'de-DE' } }), /tts\.language is not a field of it/],
  ['an Azure voice with an empty name', changed('action-speak', { tts: { provider: 'azure', voice: '' } }), /tts\.voice must not be empty/],
  ['a barge-in strategy that is not a name', changed('action-speak', { barge_in: { strategy: 7 } }), /barge_in\.strategy must be one of "none"/],
  ['a barge-in config without a strategy', changed('action-speak', { barge_in: { minimum_characters: 3 } }), /barge_in\.strategy is missing/],
  ['minimum_characters 0', changed('action-speak', { barge_in: { strategy: 'minimum_characters', minimum_characters: 0 } }), /minimum_characters must be at least 1/],
  ['minimum_characters 101', changed('action-speak', { barge_in: { strategy: 'minimum_characters', minimum_characters: 101 } }), /minimum_characters must be at most 100/],
  ['minimum_characters 2.5', changed('action-speak', { barge_in: { strategy: 'minimum_characters', minimum_characters: 2.5 } }), /minimum_characters must be a whole number/],
  ['allow_after_ms over 10 s', changed('action-speak-immediate-barge-in', { barge_in: { strategy: 'immediate', allow_after_ms: 10_001 } }), /allow_after_ms must be at most 10000/],
  ['a timeout of 0 s for the caller', changed('action-speak-3', { user_input_timeout_seconds: 0 }), /user_input_timeout_seconds must be above 0/],
  ['a timeout as a string', changed('action-speak-3', { user_input_timeout_seconds: '8' }), /user_input_timeout_seconds must be a number/],
  ['a negative end-of-turn silence', changed('action-speak-4', { vad: { end_of_turn_silence_ms: -1 } }), /end_of_turn_silence_ms must be at least 0/],
  ['a vad with a field it has not', changed('action-speak-4', { vad: { sensitivity: 2 } }), /vad\.sensitivity is not a field of it/],
  ['audio without audio', changed('action-audio', { audio: undefined }), /action\.audio is missing/],
  ['audio that is not base64', changed('action-audio', { audio: 'not base64!' }), /action\.audio must be base64/],
  ['audio as a number', changed('action-audio', { audio: 42 }), /action\.audio must be a string/],
  ['mix_audio too loud', changed('action-mix_audio', { volume: 1.5 }), /volume must be at most 1/],
  ['mix_audio with neither audio nor stop', changed('action-mix_audio', { audio: undefined }), /audio is missing \(needed unless stop is true\)/],
  ['mix_audio with stop false and no audio', changed('action-mix_audio-stop', { stop: false }), /audio is missing/],
  ['mix_audio with stop "yes"', changed('action-mix_audio-stop', { stop: 'yes' }), /stop must be true or false/],
  ['transfer without a caller id name', changed('action-transfer', { caller_id_name: undefined }), /caller_id_name is missing/],
  ['transfer with a 4 s timeout', changed('action-transfer', { timeout: 4 }), /timeout must be at least 5/],
  ['transfer with a 121 s timeout', changed('action-transfer', { timeout: 121 }), /timeout must be at most 120/],
  ['transcription by a lower-case provider', changed('action-configure_transcription', { provider: 'deepgram' }), /provider must be one of/],
  ['transcription in no language', changed('action-configure_transcription', { languages: [] }), /languages must hold 1 to 4 items/],
  ['transcription in five languages', changed('action-configure_transcription', { languages: ['de-DE', 'en-US', 'fr-FR', 'it-IT', 'es-ES'] }), /languages must hold 1 to 4 items/],
  ['a language that is not a tag', changed('action-configure_transcription', { languages: ['english'] }), /languages\[0\] must be a language tag/],
  ['languages as one string', changed('action-configure_transcription', { languages: 'en-US' }), /languages must be a list/],
  ['101 vocabulary words', changed('action-configure_transcription', { custom_vocabulary: Array.from({ length: 101 }, (_, i) => `w${i}`) }), /custom_vocabulary must hold 0 to 100 items/],
  ['a vocabulary word of 201 characters', changed('action-configure_transcription', { custom_vocabulary: ['x'.repeat(201)] }), /custom_vocabulary\[0\] must be at most 200 characters/],
  ['a vocabulary word that is a number', changed('action-configure_transcription', { custom_vocabulary: [7] }), /custom_vocabulary\[0\] must be a string/],
  ['voice-to-voice without a system prompt', changed('action-configure_voice_to_voice', { system_prompt: undefined }), /system_prompt is missing/],
  ['voice-to-voice at temperature 2.5', changed('action-configure_voice_to_voice', { temperature: 2.5 }), /temperature must be at most 2/],
  ['an SMS to a number with a space', changed('action-send_sms', { phone_number: '+49 151' }), /phone_number must be digits, optionally after a \+/],
  ['an SMS without a message', changed('action-send_sms', { message: undefined }), /message is missing/],
  ['hangup with a reason', changed('action-hangup', { reason: 'done' }), /action\.reason is not a field of it/],
  ['an action without a session id', changed('action-hangup', { session_id: undefined }), /session_id is missing/],
  ['an empty session id', changed('action-barge_in', { session_id: '' }), /session_id must not be empty/],
  ['an unknown action', { type: 'dial', session_id: SESSION }, /action\.type "dial" is not an action/],
  ['an action without a type', { session_id: SESSION }, /action\.type undefined is not an action/],
  ['a type that only the prototype has', { type: 'toString', session_id: SESSION }, /"toString" is not an action/],
  ['null', null, /action must be an object/],
  ['a list inside a list', [example('action-hangup')], /action must be an object/]
]

t.test('the statement and the plugin refuse the same broken actions', async (t) => {
  for (const [name, action, problem] of broken) {
    t.match(actionProblem(action), problem, `${name}: the statement says why`)
    t.equal(validateAction(action).ok, false, `${name}: the plugin refuses it too`)
  }
})

t.test('a TTS provider or barge-in strategy newer than v1.11 passes both, with its fields as they are', async (t) => {
  const newer = [
    changed('action-speak', { tts: { provider: 'kugel_audio', voice: 'anna', speed: 1.1 } }),
    changed('action-speak', { barge_in: { strategy: 'semantic', sensitivity: 0.4 } }),
    changed('action-audio', { barge_in: { strategy: 'semantic' } })
  ]
  for (const action of newer) {
    t.equal(actionProblem(action), undefined, 'the statement takes it')
    t.same(validateAction(action), { ok: true, value: action }, 'the plugin takes it, unchanged')
  }
})

t.test('a reply body: one action or a list of them, all for the event\'s call', async (t) => {
  const hangup = example('action-hangup')
  t.equal(replyBodyProblem([hangup, example('action-speak')], SESSION), undefined)
  t.equal(replyBodyProblem([], SESSION), 'an empty list of actions (nothing to do is 204)')
  t.equal(replyBodyProblem(hangup, 'another-call'), `action is for session ${SESSION}, not another-call`)
  t.equal(replyBodyProblem([hangup, { ...hangup, session_id: 'x' }], SESSION), `action 1 is for session x, not ${SESSION}`)
  t.equal(replyBodyProblem([hangup, { type: 'hangup' }], SESSION), 'action 1.session_id is missing')
  t.equal(replyBodyProblem('hangup', SESSION), 'action must be an object')
})

t.test('the events whose webhook reply carries nothing are the ones the plugin answers 204', async (t) => {
  t.same([...NOTHING_TO_ANSWER].sort(), [...SILENT_EVENTS].sort())
})
