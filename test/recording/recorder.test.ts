import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { Recorder, recordingFile } from '../../lib/recording'
import type { CallTurn, Logger } from '../../lib/sessions'

function logger (): Logger & { warnings: Array<{ obj: any, msg?: string }> } {
  const warnings: Array<{ obj: any, msg?: string }> = []
  const log = { warnings, child: () => log, debug () {}, info () {}, error () {}, warn (obj: object, msg?: string) { warnings.push({ obj, msg }) } }
  return log
}

function turn (id: string, type: string, at = 1): CallTurn {
  return { at, event: { type, session: { id, from_phone_number: '+4915112345678' } }, reply: [], state: 'x', pushed: false }
}

const lines = (text: string): any[] => text.trim().split('\n').map((line) => JSON.parse(line))

t.test('a directory gets one file per call, each line in the call\'s order', async (t) => {
  const dir = path.join(t.testdir(), 'nested', 'recordings')
  const recorder = await Recorder.open({ dir }, logger())
  for (let i = 0; i < 20; i++) recorder.observe(turn('a', 'user_speak', i))
  recorder.observe(turn('b', 'session_start'))
  await recorder.close()
  t.same(readdirSync(dir).sort(), ['a.jsonl', 'b.jsonl'])
  t.same(lines(readFileSync(path.join(dir, 'a.jsonl'), 'utf8')).map((line) => line.at), [...Array(20).keys()])
  t.equal(lines(readFileSync(path.join(dir, 'b.jsonl'), 'utf8'))[0].event.session.from_phone_number, '+***********78')
  recorder.observe(turn('a', 'session_end', 99))
  await recorder.close()
  t.equal(lines(readFileSync(path.join(dir, 'a.jsonl'), 'utf8')).length, 21, 'later turns are appended')
})

t.test('a call\'s lines come out in its order, large ones among small ones written at once', async (t) => {
  const dir = t.testdir()
  // Without one write after another, a 300 kB line still being written lets small lines behind it land first.
  for (let run = 0; run < 10; run++) {
    const recorder = await Recorder.open({ dir }, logger())
    const id = `order-${run}`
    for (let i = 0; i < 60; i++) {
      const big = i % 10 === 0
      recorder.observe({ ...turn(id, 'user_speak', i), reply: [{ type: 'speak', session_id: id, text: big ? 'x'.repeat(300_000) : 'ok' }] })
    }
    await recorder.close()
    t.same(lines(readFileSync(recordingFile(dir, id), 'utf8')).map((line) => line.at), [...Array(60).keys()], `run ${run}: in order`)
  }
})

t.test('a call\'s lines come out in its order when its first write is the slowest', async (t) => {
  // The first write is held until every write begun after it has ended: only one write after another keeps them in order.
  let open!: () => void
  const held = new Promise<void>((resolve) => { open = resolve })
  const others = new Set<Promise<void>>()
  let first = true
  const gatedAppend = async (file: string, data: string): Promise<void> => {
    if (first) {
      first = false
      await held
      return await fsp.appendFile(file, data)
    }
    const write = fsp.appendFile(file, data)
    others.add(write)
    return await write
  }
  const { Recorder: GatedRecorder } = t.mockRequire<typeof import('../../lib/recording/recorder')>('../../lib/recording/recorder', {
    'node:fs/promises': { ...fsp, appendFile: gatedAppend }
  })
  const dir = t.testdir()
  const recorder = await GatedRecorder.open({ dir }, logger())
  for (let i = 0; i < 10; i++) recorder.observe({ ...turn('a', 'user_speak', i), reply: [{ type: 'speak', session_id: 'a', text: i === 0 ? 'x'.repeat(300_000) : 'ok' }] })
  await Promise.all(others)
  open()
  await recorder.close()
  t.same(lines(readFileSync(recordingFile(dir, 'a'), 'utf8')).map((line) => line.at), [...Array(10).keys()])
})

t.test('a session id never leads out of the directory', async (t) => {
  t.match(recordingFile('/rec', '../../etc/passwd'), /^\/rec\/______etc_passwd~[0-9a-f]{16}\.jsonl$/)
  t.equal(recordingFile('/rec', '550e8400-e29b-41d4-a716-446655440000'), path.join('/rec', '550e8400-e29b-41d4-a716-446655440000.jsonl'), 'a plain id is the name')
  t.equal(recordingFile('/rec', 'x'.repeat(128)), path.join('/rec', `${'x'.repeat(128)}.jsonl`))
  t.equal(path.basename(recordingFile('/rec', 'x'.repeat(300))).length, 100 + 1 + 16 + '.jsonl'.length)
})

t.test('session ids that differ only in what the file name replaces no longer share one file', async (t) => {
  const ids = ['a.b', 'a_b', 'a:b', 'a/b', 'Ab', 'aB', 'ab', 'x'.repeat(300), 'x'.repeat(301)]
  const names = ids.map((id) => recordingFile('/rec', id).toLowerCase())
  t.equal(new Set(names).size, ids.length, 'one file each, even where the file system folds case')
  t.equal(recordingFile('/rec', 'a.b'), recordingFile('/rec', 'a.b'), 'the same id, the same file')
})

t.test('a stream gets every line, calls interleaved, and is left open', async (t) => {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk) => { text += String(chunk) })
  const recorder = await Recorder.open({ stream, redactPhoneNumbers: false }, logger())
  recorder.observe(turn('a', 'session_start'))
  recorder.observe(turn('b', 'session_start'))
  await recorder.close()
  t.same(lines(text).map((line) => [line.event.session.id, line.event.session.from_phone_number, line.redacted]), [
    ['a', '+4915112345678', undefined],
    ['b', '+4915112345678', undefined]
  ])
  t.ok(stream.writable, 'the stream belongs to whoever gave it')
})

t.test('a write that fails is logged, and the next ones still go through', async (t) => {
  const dir = t.testdir({ 'blocked.jsonl': {} })
  const log = logger()
  const recorder = await Recorder.open({ dir }, log)
  recorder.observe(turn('blocked', 'session_start'))
  recorder.observe(turn('fine', 'session_start'))
  await recorder.close()
  t.match(log.warnings, [{ obj: { sessionId: 'blocked', err: { code: 'EISDIR' } }, msg: 'writing the call recording failed' }])
  t.equal(lines(readFileSync(path.join(dir, 'fine.jsonl'), 'utf8')).length, 1)
})

t.test('a directory that cannot be made is an invalid option', async (t) => {
  const file = path.join(t.testdir(), 'a-file')
  writeFileSync(file, '')
  await t.rejects(Recorder.open({ dir: path.join(file, 'sub') }, logger()), {
    code: 'FST_AIFLOW_INVALID_OPTION',
    message: /record\.dir ".*sub" cannot be made: /
  })
})
