import t from 'tap'
import { speak, transfer } from '../lib'
import { runScript } from '../lib/testing'
import { AGENT_NUMBER, GOODBYE, HOURS, demoFlow } from './demo-flow'

t.test('1 tells the opening hours', async (t) => {
  const [, hours] = await runScript(demoFlow, ['start', { press: '1' }])
  t.same(hours.actions[0], speak(HOURS, { user_input_timeout_seconds: 8 }))
})

t.test('asking for a person transfers the call; when nobody answers, the menu comes back', async (t) => {
  const turns = await runScript(demoFlow, ['start', 'speechEnded', { say: 'a person, please' }, 'transferFailed'])
  t.same(turns[2].actions[1], transfer({ target_phone_number: AGENT_NUMBER, caller_id_name: 'Acme assistant', caller_id_number: AGENT_NUMBER, timeout: 20 }))
  t.match(turns[3].actions[0], { type: 'speak', text: /^Sorry, nobody could take your call right now\./ })
})

t.test('silence is asked about, and goodbye ends the call', async (t) => {
  const turns = await runScript(demoFlow, ['start', 'speechEnded', 'silence', { say: 'goodbye' }])
  t.match(turns[2].actions[0], { type: 'speak', text: /^Are you still there\?/ })
  t.equal(turns.at(-1)?.move, 'ended', 'the flow hung up')
  t.same(turns[3].actions[0], speak(GOODBYE, { user_input_timeout_seconds: 8 }))
})
