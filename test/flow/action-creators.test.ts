import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import {
  audio, bargeIn, configureTranscription, configureVoiceToVoice, hangup, mixAudio, sendSms, speak, speechText, transfer
} from '../../lib/flow'
import { validateAction, type FlowAction } from '../../lib/protocol'
import { runScript } from '../../lib/testing'
import { flow as callbackFlow } from '../../examples/callback-flow'

const examples = path.join(__dirname, '..', 'fixtures', 'protocol-examples')
const wav = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA='

/** A documented action without its `session_id`: what a flow emits. */
function documented (name: string): unknown {
  const { session_id: _, ...action } = JSON.parse(fs.readFileSync(path.join(examples, name), 'utf8'))
  return action
}

function onTheWire (action: FlowAction): unknown {
  return { ...action, session_id: 'session-1' }
}

const made: Array<[string, FlowAction, unknown]> = [
  ['speak(text)', speak('Hello! How can I help you?'), { type: 'speak', text: 'Hello! How can I help you?' }],
  ['speak(text, options)', speak('Which department would you like?', {
    barge_in: { strategy: 'immediate', allow_after_ms: 500 },
    user_input_timeout_seconds: 6
  }), documented('action-speak-immediate-barge-in.json')],
  ['speak({ text, tts })', speak({ text: 'Hello from ElevenLabs', tts: { provider: 'eleven_labs', voice: 'zrHiDhphv9ZnVXBqCLjz' } }),
    documented('action-speak-eleven_labs.json')],
  ['speak({ ssml })', speak({ ssml: '<speak>Hi</speak>' }), { type: 'speak', ssml: '<speak>Hi</speak>' }],
  ['audio(data, options)', audio(wav, { barge_in: { strategy: 'minimum_characters', minimum_characters: 3, allow_after_ms: 1000 } }),
    documented('action-audio.json')],
  ['audio(data)', audio(wav), { type: 'audio', audio: wav }],
  ['mixAudio({ audio, volume })', mixAudio({ audio: wav, volume: 0.3 }), documented('action-mix_audio.json')],
  ['mixAudio({ stop })', mixAudio({ stop: true }), documented('action-mix_audio-stop.json')],
  ['hangup()', hangup(), documented('action-hangup.json')],
  ['transfer(fields)', transfer({
    target_phone_number: '1234567890', caller_id_name: 'Support Department', caller_id_number: '1234567890', timeout: 30
  }), documented('action-transfer.json')],
  ['bargeIn()', bargeIn(), documented('action-barge_in.json')],
  ['configureTranscription(fields)', configureTranscription({ provider: 'DEEPGRAM', languages: ['en-US'] }),
    documented('action-configure_transcription.json')],
  ['configureVoiceToVoice(fields)', configureVoiceToVoice({
    system_prompt: 'You are a friendly assistant for the Acme dental practice. Be concise.',
    greeting: 'Hello, this is Acme Dental — how can I help you?',
    temperature: 0.8,
    language: 'en'
  }), documented('action-configure_voice_to_voice.json')],
  ['sendSms(fields)', sendSms({ phone_number: '4915112345678', message: 'Your confirmation code is 4242.' }),
    documented('action-send_sms.json')]
]

for (const [name, action, expected] of made) {
  t.test(name, async (t) => {
    t.same(action, expected, 'makes the documented action')
    const wire = onTheWire(action)
    t.same(validateAction(wire), { ok: true, value: wire }, 'which passes validation once a session_id is added')
  })
}

t.test('every creator makes a new object, so a flow cannot change another reply', async (t) => {
  t.not(hangup(), hangup())
  t.not(speak('Hi'), speak('Hi'))
})

t.test('speak(text, options) puts the text first and keeps every option', async (t) => {
  const action = speak('Spell your name.', { vad: { end_of_turn_silence_ms: 1500 }, tts: { provider: 'azure', voice: 'en-US-JennyNeural' } })
  t.same(Object.keys(action), ['type', 'text', 'vad', 'tts'])
  t.same(action, { type: 'speak', text: 'Spell your name.', vad: { end_of_turn_silence_ms: 1500 }, tts: { provider: 'azure', voice: 'en-US-JennyNeural' } })
})

t.test('an empty text makes an action that validation refuses', async (t) => {
  const result = validateAction(onTheWire(speak('')))
  t.equal(result.ok, false)
})

t.test("speechText reads what a reply's speak says, text or SSML, without narrowing twice; undefined for any other action", async (t) => {
  const turns = await runScript(callbackFlow, ['start', 'silence'])
  const first: FlowAction | undefined = turns[1].actions[0]
  // The type test: a string (or undefined), not a union of Omit<…> to narrow again.
  const said: string | undefined = speechText(first)
  t.equal(said, 'Are you still there? Just say your name.')
  if (first?.type === 'speak') {
    // @ts-expect-error a speak action carries text or ssml: .text alone does not compile, hence speechText
    t.equal(first.text, said)
  }
  t.equal(speechText(speak({ ssml: '<speak>Hi</speak>' })), '<speak>Hi</speak>')
  t.equal(speechText(hangup()), undefined)
  t.equal(speechText(undefined), undefined)
  const sent = { type: 'speak', session_id: 'c1', text: 'From the wire' }
  t.equal(speechText(sent), 'From the wire', 'an action as sent, with its session_id')
})
