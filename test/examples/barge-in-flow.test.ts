import t from 'tap'
import { bargeIn, hangup, speak } from '../../lib'
import { runScript, simulateCall } from '../../lib/testing'
import { flow } from '../../examples/barge-in-flow'

t.test("docs/writing-flows.md's barge-in example: each line says who may interrupt it, and the flow stops the manual one", async (t) => {
  const [start, , chosen] = await runScript(flow, ['start', 'speechEnded', { say: 'sales' }])
  t.same(start.actions, [
    speak('This call is recorded.', { barge_in: { strategy: 'none' } }),
    speak('Say sales or support.', { barge_in: { strategy: 'minimum_characters', minimum_characters: 5, allow_after_ms: 1000 }, user_input_timeout_seconds: 8 })
  ], 'the notice cannot be interrupted; the menu can, after a word and a second')
  t.same(chosen.actions, [speak('Please hold, or tell me what it is about.', { barge_in: { strategy: 'manual' } })])

  const call = simulateCall(flow)
  await call.start()
  await call.say('support')
  t.same(await call.speechStarted(), [bargeIn()], 'the caller starting to speak stops the hold line')
  t.same(await call.bargeIn('my invoice'), [speak('Noted: my invoice.'), hangup()])
})
