import path from 'node:path'
import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { fastifyAiFlow, flowVersionOf, parseRecording, type AgentModel } from '../../lib'
import { scriptedModel, TestClock } from '../../lib/testing'
import { replay } from '../../lib/cli/replay-command'
import { EXIT, runCli } from '../../lib/cli/program'
import { paint } from '../../lib/cli/paint'
import { restaurantFlow } from '../../examples/restaurant-agent'
import { event, eventually, post } from '../fixtures/helpers'
import { memoryIo } from '../fixtures/cli-io'

const nobody = (): AgentModel => scriptedModel([], { name: 'never asked' })

/** A call recorded with a 100 ms replyTimeout: the model is late, so the reply is the filler and the answer leads the next one. */
async function recordedWithFiller (t: Test, flowVersion?: string): Promise<string> {
  const dir = t.testdir()
  const clock = new TestClock()
  const app = Fastify()
  await app.register(fastifyAiFlow, {
    flow: restaurantFlow(scriptedModel([{ text: 'We open at noon.', firstDelay: 5000 }], { clock })),
    record: { dir },
    replyTimeout: 100,
    flowVersion
  })
  // Listening keeps the process up while a reply waits on its (unref'd) deadline.
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'late'))
  t.match((await post(app, event('user_speak', 'late', { text: 'When do you open?' }))).body, { text: 'One moment, please.' })
  await clock.advance(5000)
  t.ok(await eventually(async () => (await app.aiFlow.getCall('late'))?.pendingActions === 1))
  await post(app, event('assistant_speech_ended', 'late'))
  await app.close()
  return path.join(dir, 'late.jsonl')
}

t.test('a recording keeps the replyTimeout and flowVersion the call was served with, on every turn', async (t) => {
  const file = await recordedWithFiller(t, 'v7')
  const [call] = parseRecording(await readFile(file, 'utf8'))
  t.equal(call.turns.length, 3)
  for (const turn of call.turns) t.match(turn, { replyTimeout: 100, flowVersion: 'v7' })
})

t.test('replay serves a call with the replyTimeout it was recorded with: a filler recorded at 100 ms replays unchanged', async (t) => {
  const file = await recordedWithFiller(t)
  const same = await replay(file, restaurantFlow(nobody()), paint(false))
  t.equal(same.differs, false)
  t.same(same.lines, ['1 call, 3 events: every reply matches the recording'])
  const longer = await replay(file, restaurantFlow(nobody()), paint(false), 10_000)
  t.equal(longer.differs, true, 'a longer replyTimeout, given, waits for the answer instead of the filler')
  t.match(longer.lines.join('\n'), /event 2: user_speak/)
})

t.test('replay says when a call was recorded with another flow version', async (t) => {
  const file = await recordedWithFiller(t, 'v1')
  const flow = restaurantFlow(nobody())
  const { lines, differs } = await replay(file, flow, paint(false))
  t.equal(differs, false, 'the version alone is no difference')
  t.equal(lines[0], `call late: recorded with flow version v1, replayed with ${flowVersionOf(flow)}`)
})

t.test('replay --reply-timeout takes a whole number of ms above 0', async (t) => {
  const flows = path.join(__dirname, '..', 'fixtures', 'flows')
  const file = path.join(t.testdir({ 'old.jsonl': JSON.stringify({ at: 1, event: { type: 'session_start', session: { id: 'o' } }, reply: [] }) + '\n' }), 'old.jsonl')
  for (const bad of ['0', '-5', '1.5', 'soon']) {
    const io = memoryIo(flows)
    t.equal(await runCli(['replay', file, 'echo.cjs', '--reply-timeout', bad], io), EXIT.error, bad)
    t.match(io.err(), /--reply-timeout <ms>' argument .* is invalid\. it must be a whole number of ms above 0/)
  }
  const io = memoryIo(flows)
  const code = await runCli(['replay', file, 'echo.cjs', '--reply-timeout', '250'], io)
  t.match(io.out(), /^1 call, 1 event: 1 reply differs/m, 'a recording without the options replays too')
  t.not(code, EXIT.error)
})

t.test('a recorded turn with a broken replyTimeout or flowVersion is refused, naming its line', async (t) => {
  const turn = { at: 1, event: { type: 'session_start', session: { id: 'o' } }, reply: [] }
  t.throws(() => parseRecording(JSON.stringify({ ...turn, replyTimeout: 0 })), /line 1 has a "replyTimeout" that is not a positive number/)
  t.throws(() => parseRecording(JSON.stringify({ ...turn, replyTimeout: '100' })), /line 1 has a "replyTimeout" that is not a positive number/)
  t.throws(() => parseRecording(JSON.stringify({ ...turn, flowVersion: 3 })), /line 1 has a "flowVersion" that is not a string/)
})
