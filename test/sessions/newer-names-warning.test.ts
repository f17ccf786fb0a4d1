import t from 'tap'
import Fastify from 'fastify'
import { emit } from 'xstate'
import { fastifyAiFlow, hangup, setupFlow, speak } from '../../lib'
import { warnNewerNames } from '../../lib/sessions/newer-names-warning'
import { event, post } from '../fixtures/helpers'
import { LogCollector } from '../fixtures/logs'

const WARNING = /^an action uses (tts\.provider|barge_in\.strategy)=\w+, which is newer than the service's v1\.11/

t.test('an action with a TTS provider and a barge-in strategy newer than v1.11 goes out as it is, and each is warned about once per process', async (t) => {
  const flow = setupFlow({}).createMachine({
    initial: 'start',
    states: {
      start: {
        on: {
          session_start: {
            actions: [
              emit(speak('Hello.', { tts: { provider: 'kugel_audio', voice: 'anna', speed: 1.1 }, barge_in: { strategy: 'semantic', sensitivity: 0.4 } } as never)),
              emit(hangup())
            ]
          }
        }
      }
    }
  })
  const logs = new LogCollector()
  const app = Fastify({ logger: { level: 'warn', stream: logs } })
  await app.register(fastifyAiFlow, { flow })
  t.teardown(() => app.close())
  for (const id of ['a', 'b']) {
    const reply = await post(app, event('session_start', id))
    t.equal(reply.status, 200)
    t.same(reply.body, [
      { type: 'speak', session_id: id, text: 'Hello.', tts: { provider: 'kugel_audio', voice: 'anna', speed: 1.1 }, barge_in: { strategy: 'semantic', sensitivity: 0.4 } },
      { type: 'hangup', session_id: id }
    ], 'the newer fields as the flow gave them')
  }
  const warnings = logs.lines.filter((line) => WARNING.test(line.msg))
  t.same(warnings.map((line) => [line.level, line.newer, line.sessionId]), [[40, 'tts.provider=kugel_audio', 'a'], [40, 'barge_in.strategy=semantic', 'a']], 'once each, for the first call')
})

t.test('at most 100 newer names are remembered and warned about', async (t) => {
  const said: string[] = []
  const log = { warn: (_: unknown, msg: string) => { said.push(msg) } } as never
  for (let i = 0; i < 120; i++) warnNewerNames({ type: 'speak', session_id: 's', text: 'x', tts: { provider: `p${i}` } } as never, log, 's')
  warnNewerNames({ type: 'hangup', session_id: 's' }, log, 's')
  // Two names were remembered by the test above, in this same process.
  t.equal(said.length, 98)
  t.match(said[0], /tts\.provider=p0/)
})
