import t from 'tap'
import fc from 'fast-check'
import { buildServer } from '../../examples/app'
import { validateEvent } from '../../lib'
import { nestsDeeperThan } from '../../lib/transport/json-depth'
import { callIds, eventOf, mutatedEvent, poisonedKey, validEvent } from '../fixtures/arbitraries'
import { postRaw, replyProblem } from '../fixtures/reply-check'

/*
 * Properties of the demo assistant's webhook, as the service (or something
 * pretending to be it) could drive it. A failed property prints the smallest
 * payload that breaks it and the seed to replay it.
 */

const runs = { numRuns: 400 }

t.test('every valid event, in any order, gets 204 or valid actions for its own call', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  // A handful of calls, so that events land on calls in every state of the flow.
  const ids = fc.constantFrom('call-a', 'call-b', 'call-c', '__proto__', 'constructor')
  await fc.assert(fc.asyncProperty(fc.array(validEvent(ids), { minLength: 1, maxLength: 12 }), async (events) => {
    for (const event of events) {
      const problem = replyProblem(event as never, await postRaw(app, event))
      if (problem !== undefined) throw new Error(`${JSON.stringify(event)}: ${problem}`)
    }
  }), runs)
  t.pass('every reply was valid')
})

t.test('valid events of one call in flight at once all get valid replies', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const ids = fc.constantFrom('burst-1', 'burst-2')
  await fc.assert(fc.asyncProperty(fc.array(validEvent(ids), { minLength: 2, maxLength: 8 }), async (events) => {
    const replies = await Promise.all(events.map((event) => postRaw(app, event)))
    replies.forEach((reply, i) => {
      const problem = replyProblem(events[i] as never, reply)
      if (problem !== undefined) throw new Error(`${JSON.stringify(events[i])}: ${problem}`)
    })
  }), runs)
  t.pass('every reply was valid')
})

t.test('a whole call of valid events, from session_start to session_end, leaves nothing behind', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  const middle = fc.constantFrom('user_speak', 'dtmf_received', 'assistant_speak', 'assistant_speech_ended', 'user_input_timeout', 'sms_failed', 'user_speech_started')
  const call = fc.uuid().chain((id) => {
    const ids = fc.constant(id)
    return fc.tuple(
      eventOf('session_start', ids),
      fc.array(middle.chain((type) => eventOf(type, ids)), { maxLength: 10 }),
      eventOf('session_end', ids)
    ).map(([start, rest, end]) => [start, ...rest, end])
  })
  await fc.assert(fc.asyncProperty(call, async (events) => {
    for (const event of events) {
      const problem = replyProblem(event as never, await postRaw(app, event))
      if (problem !== undefined) throw new Error(`${JSON.stringify(event)}: ${problem}`)
    }
    if (app.aiFlow.liveCalls !== 0) throw new Error('a call is left after session_end')
  }), { numRuns: 200 })
  t.equal(app.aiFlow.liveCalls, 0)
})

t.test('mutated events never get a 5xx: a valid result is answered, anything else is a 4xx', async (t) => {
  const app = buildServer()
  t.teardown(() => app.close())
  await fc.assert(fc.asyncProperty(mutatedEvent(callIds), async (value) => {
    const json = JSON.stringify(value)
    const reply = await postRaw(app, json === undefined ? '' : json)
    // The default maxDepth, 64: deeper bodies are refused before they are parsed.
    const accepted = json !== undefined && !poisonedKey.test(json) && !nestsDeeperThan(json, 64) && validateEvent(JSON.parse(json)).ok
    if (accepted) {
      const problem = replyProblem(JSON.parse(json), reply)
      if (problem !== undefined) throw new Error(`${json}: ${problem}`)
    } else if (reply.status < 400 || reply.status >= 500) {
      throw new Error(`${json?.slice(0, 300)}: status ${reply.status}, wanted a 4xx`)
    } else if (typeof JSON.parse(reply.body).message !== 'string') {
      throw new Error(`${json?.slice(0, 300)}: the 4xx does not say what is wrong`)
    }
  }), { numRuns: 1000 })
  t.pass('no 5xx')
})
