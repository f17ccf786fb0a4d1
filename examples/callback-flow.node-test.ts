import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hangup, speak, speechText } from '../lib'
import { runScript, simulateCall } from '../lib/testing'
import { flow } from './callback-flow'

test('a caller who says their name is promised a call back', async () => {
  const call = simulateCall(flow)
  assert.deepEqual(await call.start(), [speak('Hello! Please say your name, or press 0 for the operator.', { user_input_timeout_seconds: 6 })])
  assert.deepEqual(await call.say('Ada'), [speak('Thank you, Ada. We will call you back today. Goodbye!'), hangup()])
  assert.ok(call.ended, 'the flow hung up')
})

test('silence gets one reminder, then a goodbye', async () => {
  const turns = await runScript(flow, ['start', 'silence', 'silence'])
  assert.match(speechText(turns[1].actions[0]) ?? '', /^Are you still there\?/)
  assert.deepEqual(turns[2].actions, [speak('Sorry, I cannot hear you. Goodbye!'), hangup()])
})
