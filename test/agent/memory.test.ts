import t from 'tap'
import { agent, setupFlow, type AgentMemory, type AgentModel } from '../../lib'
import { scriptedModel, simulateCall } from '../../lib/testing'

function flow (model: AgentModel, history: number) {
  return setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    id: 'assistant',
    initial: 'start',
    states: {
      start: { on: { session_start: 'talk' } },
      talk: agent({ id: 'talk', model, instructions: 'Answer briefly.', tools: {}, history, filler: false, onError: 'sorry' }),
      sorry: {}
    }
  })
}

t.test('history: n keeps the last n messages on every step, though every step trims', async (t) => {
  for (const history of [1, 2]) {
    const answers = ['A.', 'B.', 'C.', 'D.', 'E.', 'F.']
    const model = scriptedModel(answers)
    const call = simulateCall(flow(model, history), { replyTimeout: 100 })
    t.teardown(() => call.close())
    await call.start()
    const said = ['a', 'b', 'c', 'd', 'e', 'f']
    // Each step adds the caller's words and the model's answer: past the first, both trim.
    for (const text of said) await call.say(text)
    const conversation = said.flatMap((text, i) => [{ role: 'caller', text }, { role: 'assistant', text: answers[i] }])
    t.same(model.requests.map((request) => request.messages), said.map((_, i) => conversation.slice(0, 2 * i + 1).slice(-history)),
      `history: ${history}: the model is sent the last ${history} messages at every step`)
  }
})
