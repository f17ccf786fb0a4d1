import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildServer } from '../../examples/app'
import { startTelemetry } from '../../examples/telemetry'
import { LogCollector } from '../fixtures/logs'

const root = path.join(__dirname, '..', '..')
const page = fs.readFileSync(path.join(root, 'docs', 'observability.md'), 'utf8')

/** The first code block in `lang` after the text `after`. */
function blockAfter (after: string, lang: string): string {
  const at = page.indexOf(after)
  if (at === -1) throw new Error(`the page no longer says ${after}`)
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(page.slice(at + after.length))
  if (match === null) throw new Error(`no ${lang} block after ${after}`)
  return match[1]
}

async function bash (script: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], (err, stdout) => { if (err === null) resolve(stdout); else reject(err) })
  })
}

t.test('the page\'s TypeScript blocks are the example files they name', async (t) => {
  const blocks = [...page.matchAll(/```ts\n\/\/ (examples\/[\w./-]+\.ts)\n([\s\S]*?)```/g)]
  t.equal(blocks.length, [...page.matchAll(/```ts\n/g)].length, 'every block names its file')
  t.ok(blocks.length >= 1)
  for (const [, file, code] of blocks) {
    t.equal(code, fs.readFileSync(path.join(root, file), 'utf8').replace(/from '\.\.\/lib(\/[\w-]+)?'/g, "from 'fastify-ai-flow$1'"), file)
  }
})

t.test('the walk-through\'s commands give what the page shows, against the demo', async (t) => {
  const telemetry = startTelemetry()
  t.teardown(() => telemetry.shutdown())
  const logs = new LogCollector()
  const app = buildServer({ telemetry, logger: { level: 'info', stream: logs } })
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const here = (script: string): string => script.replaceAll('http://127.0.0.1:3000', address)

  const call = blockAfter('and the call ends.\n', 'sh')
  t.equal(await bash(here(call)), blockAfter(call, 'text'), 'the call')
  const scrape = blockAfter('Then ask for the metrics:\n', 'sh')
  t.equal(await bash(here(scrape)), blockAfter(scrape, 'text'), 'its metrics')

  const { time, pid, hostname, ...line } = await logs.waitFor('call ended')
  const shown = JSON.parse(blockAfter('`hostname`):\n', 'json'))
  t.type(time, 'number')
  t.type(pid, 'number')
  t.type(hostname, 'string')
  t.type(line.call, 'object')
  t.type(shown.call.durationMs, 'number')
  t.same({ ...line, call: { ...(line.call as object), durationMs: 0 } }, { ...shown, call: { ...shown.call, durationMs: 0 } }, 'the summary line, but for its duration')
})
