import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startExample, type ExampleServer } from '../fixtures/example-server'
import { example } from '../fixtures/helpers'

interface Line { msg?: string, signal?: string, liveCalls?: number }

/** The JSON log lines the server printed, in order. */
function logLines (server: ExampleServer): Line[] {
  return server.output().split('\n').filter((text) => text.startsWith('{')).map((text) => JSON.parse(text) as Line)
}

async function stop (server: ExampleServer, signal: NodeJS.Signals): Promise<number | null> {
  // 'close', not 'exit': it comes once the child's output has been read to the end.
  const exited = once(server.process, 'close')
  server.process.kill(signal)
  const [code] = await exited
  return code as number | null
}

function closedAfter (t: Pick<typeof import('tap'), 'equal' | 'ok'>, server: ExampleServer, signal: NodeJS.Signals): void {
  const messages = logLines(server).map((line) => line.msg)
  t.equal(logLines(server).find((line) => line.msg === 'closing')?.signal, signal, `it says it closes on ${signal}`)
  t.ok(messages.indexOf('closed') > messages.indexOf('closing'), 'and that it closed, before it exited')
}

// Six servers start one after another, each in its own node with tsx.
t.setTimeout(120_000)

const recordings = mkdtempSync(path.join(tmpdir(), 'aiflow-signals-'))
t.teardown(() => rmSync(recordings, { recursive: true, force: true }))

const servers: Array<[string, Record<string, string>]> = [
  ['examples/live-view.ts', { LIVE_VIEW_TOKEN: 'a-token-of-enough-characters' }],
  ['examples/recording-server.ts', { RECORDINGS: recordings }],
  ['examples/restaurant-server.ts', {}]
]

for (const [file, vars] of servers) {
  t.test(`${file} closes on SIGTERM and exits 0`, async (t) => {
    const server = await startExample(t, file, vars)
    t.equal(await stop(server, 'SIGTERM'), 0)
    closedAfter(t, server, 'SIGTERM')
  })
}

t.test('the demo server closes on SIGTERM, says how many live calls the in-memory store dropped, and exits 0', async (t) => {
  const server = await startExample(t, 'examples/server.ts')
  const started = await fetch(`${server.url}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(example('event-session_start')) })
  t.equal(started.status, 200)
  t.equal((await fetch(`${server.url}/ready`)).status, 200, 'it is ready while it runs')
  t.equal(await stop(server, 'SIGTERM'), 0)
  closedAfter(t, server, 'SIGTERM')
  t.equal(logLines(server).find((line) => line.liveCalls !== undefined)?.liveCalls, 1, 'the call it held is counted as dropped')
})

t.test('the demo server closes on SIGINT too', async (t) => {
  const server = await startExample(t, 'examples/server.ts')
  t.equal(await stop(server, 'SIGINT'), 0)
  closedAfter(t, server, 'SIGINT')
})

t.test('the inspector closes on SIGTERM and exits 0', async (t) => {
  // It logs only warnings: its exit code is what tells.
  const server = await startExample(t, 'examples/inspect-server.ts', {}, /Inspector: open (http:\/\/127\.0\.0\.1:\d+)/)
  t.equal(await stop(server, 'SIGTERM'), 0)
})
