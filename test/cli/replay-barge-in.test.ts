import path from 'node:path'
import t from 'tap'
import { EXIT, runCli } from '../../lib/cli/program'
import { runScript } from '../../lib/testing'
import { memoryIo } from '../fixtures/cli-io'
import { SETTLE, listening } from '../fixtures/kit-servers'
import { flow } from '../../examples/news-line'

t.test('replay: a WebSocket recording with barge-ins matches the unchanged flow, exit code 0', async (t) => {
  const dir = t.testdir()
  const { app, base } = await listening(t, { flow, websocket: true, record: { dir } })
  await runScript(`ws://${base}/ws`, ['start', 'speechStarted', { press: '2' }, 'speechStarted', { press: '1' }, 'hangUp'], { sessionId: 'news-call', settle: SETTLE })
  await app.close()
  // examples/news-line.ts as CommonJS: the same flow, loaded without tsx in this process.
  const io = memoryIo(path.join(__dirname, '..', 'fixtures', 'flows'))
  t.equal(await runCli(['replay', path.join(dir, 'news-call.jsonl'), 'news-line.cjs'], io), EXIT.ok)
  t.equal(io.out(), '1 call, 6 events: every reply matches the recording\n')
  const other = memoryIo(path.join(__dirname, '..', 'fixtures', 'flows'))
  t.equal(await runCli(['replay', path.join(dir, 'news-call.jsonl'), 'echo.cjs'], other), EXIT.differs, 'another flow still differs')
  t.match(other.out(), /call news-call, event 2: user_speech_started\n {4}recorded: {"type":"barge_in"}\n/)
})
