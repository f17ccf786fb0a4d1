import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import t from 'tap'
import { assign } from 'xstate'
import { flow } from '../../examples/ivr-menu'
import { randomUUID } from 'node:crypto'
import { MemoryStore, setupFlow, type SessionStore } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { sharedRedis } from '../fixtures/redis-server'
import { SessionRegistry, type Logger } from '../../lib/sessions'
import { LiveHub } from '../../lib/live-view/hub'
import { buildApp, event, eventually, keepAlive, post } from '../fixtures/helpers'

const token = 'a-live-view-token-for-tests'
const headers = { authorization: `Bearer ${token}` }

interface StreamEvent { event: string, data: any }

/** Reads Server-Sent Events from a fetch response, one at a time; comments come as `comment`. */
function reader (response: Response): () => Promise<StreamEvent> {
  const chunks = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return async function next () {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.startsWith(':')) return { event: 'comment', data: block }
        const [, event] = /^event: (.*)$/m.exec(block) ?? []
        const [, data] = /^data: (.*)$/m.exec(block) ?? []
        return { event, data: JSON.parse(data) }
      }
      const { value, done } = await chunks.read()
      if (done) return { event: 'closed', data: null }
      buffer += value
    }
  }
}

t.test('a page hears the chart, the calls, then each change and each end', async (t) => {
  const { app } = await buildApp({ flow, liveView: { token } })
  await post(app, event('session_start', 'before'))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const response = await fetch(`${url}/live/stream`, { headers })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  const next = reader(response)
  t.match(await next(), { event: 'flow', data: { id: 'ivr', mermaid: /^stateDiagram-v2\n/ } })
  t.match(await next(), { event: 'calls', data: { total: 1, calls: [{ id: 'before' }] } })
  await post(app, event('session_start', 'during'))
  t.match(await next(), { event: 'call', data: { id: 'during', states: ['main.listening.noInput.none', 'main.listening.noMatch.none'] } })
  t.match(await next(), { event: 'turn', data: { id: 'during', at: Number } }, 'then its transcript grew')
  await post(app, event('dtmf_received', 'during', { digit: '1' }))
  t.match(await next(), { event: 'call', data: { id: 'during', states: ['sales'] } })
  t.match(await next(), { event: 'turn', data: { id: 'during' } })
  await post(app, event('session_end', 'before'))
  t.same(await next(), { event: 'ended', data: { id: 'before' } })
  await app.close()
  t.same(await next(), { event: 'closed', data: null }, 'closing the server ends the stream')
})

/** A flow that keeps a function in its context: a copy of its state cannot be made. */
const uncopyable = setupFlow({ types: { context: {} as { later?: () => number } } }).createMachine({
  context: {},
  on: { session_start: { actions: assign({ later: () => () => 1 }) } }
})

function logger (warnings: string[], errors: string[]): Logger {
  const log: Logger = {
    child: () => log,
    debug: () => {},
    info: () => {},
    warn: (_, msg) => { warnings.push(String(msg)) },
    error: (_, msg) => { errors.push(String(msg)) }
  }
  return log
}

function registryFor (machine: typeof flow | typeof uncopyable, log: Logger, store: SessionStore = new MemoryStore()): SessionRegistry {
  return new SessionRegistry({
    flow: machine, flows: {}, flowVersion: '1', store, replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log
  })
}

/** A response with nothing behind it, that keeps what is written. */
/** A response that keeps what is written to it; `written(pattern)` resolves once the text matches. */
function response (): ServerResponse & { text: string, written: (pattern: RegExp) => Promise<void> } {
  const res = new ServerResponse(new IncomingMessage(new Socket())) as ServerResponse & { text: string, written: (pattern: RegExp) => Promise<void> }
  const waits = new Set<{ pattern: RegExp, resolve: () => void }>()
  res.text = ''
  res.write = ((chunk: string) => {
    res.text += chunk
    for (const wait of waits) {
      if (wait.pattern.test(res.text)) {
        waits.delete(wait)
        wait.resolve()
      }
    }
    return true
  }) as never
  res.written = async (pattern) => {
    if (!pattern.test(res.text)) await new Promise<void>((resolve) => { waits.add({ pattern, resolve }) })
  }
  return res
}

t.test('a stream that cannot list the calls is logged and ended', async (t) => {
  const { app, logs } = await buildApp({ flow: uncopyable, liveView: { token } })
  t.teardown(() => app.close())
  await post(app, event('session_start', 'odd'))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const next = reader(await fetch(`${url}/live/stream`, { headers }))
  t.match(await next(), { event: 'flow' })
  t.same(await next(), { event: 'closed', data: null })
  t.ok(logs.some((line) => line.msg === 'the live view stream could not start' && line.err !== undefined))
})

t.test('a change that cannot be read is logged, and later ones still go out', async (t) => {
  const warnings: string[] = []
  const registry = registryFor(uncopyable, logger(warnings, []))
  const hub = new LiveHub({ registry, flow: uncopyable, log: logger(warnings, []), limit: 10, keepAlive: 60_000 })
  t.teardown(async () => { hub.close(); await registry.close() })
  const page = response()
  await hub.open(page)
  await registry.dispatch({ type: 'session_start', session: { id: 'odd' } }, { log: logger([], []) })
  await registry.dispatch({ type: 'session_end', session: { id: 'odd' } }, { log: logger([], []) })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, ['the live view could not send a call change'])
  t.match(page.text, /event: ended\ndata: {"id":"odd"}/)
})

t.test('with a shared store: changes are reported, and a call the store has let go is sent as ended', async (t) => {
  const url = await sharedRedis(t)
  const store = new RedisStore({ url, prefix: `test:${randomUUID()}:` })
  const registry = registryFor(flow, logger([], []), store)
  const hub = new LiveHub({ registry, flow, log: logger([], []), limit: 10, keepAlive: 60_000 })
  t.teardown(async () => { hub.close(); await registry.close() })
  const page = response()
  await hub.open(page)
  await registry.dispatch({ type: 'session_start', session: { id: 'kept' } }, { log: logger([], []) })
  await eventually(() => page.text.includes('event: call\n'))
  t.match(page.text, /event: call\ndata: {"id":"kept"/, 'a change saved through the lock is reported')
  // On the same connection, so that the deletion reaches the store before the hub reads the call.
  registry.watch((id, ended) => { if (id === 'gone' && !ended) store.delete(id).catch(() => {}) })
  await registry.dispatch({ type: 'session_start', session: { id: 'gone' } }, { log: logger([], []) })
  await eventually(() => page.text.includes('event: ended\ndata: {"id":"gone"}'))
  t.match(page.text, /event: ended\ndata: {"id":"gone"}/)
  t.notMatch(page.text, /event: call\ndata: {"id":"gone"/)
  t.same((await hub.calls()).calls.map((call) => call.id), ['kept'], 'the list leaves out what the store no longer has')
  t.equal((await hub.calls()).total, 2, 'though this instance still holds it')
})

t.test('a page gone before its list is ready gets nothing more; idle streams get keep-alive comments', async (t) => {
  const registry = registryFor(flow, logger([], []))
  const hub = new LiveHub({ registry, flow, log: logger([], []), limit: 1, keepAlive: 20 })
  // The hub's keep-alive timer is unref'd, as a server's should be: this keeps the process up while the test waits for it.
  keepAlive(t)
  t.teardown(async () => { hub.close(); await registry.close() })
  const gone = response()
  const opening = hub.open(gone)
  gone.destroy()
  await opening
  const kept = response()
  await hub.open(kept)
  await registry.dispatch({ type: 'session_start', session: { id: 'c1' } }, { log: logger([], []) })
  // Waits for each to be written (tap's timeout fails the test if one never is).
  await kept.written(/event: call\n/)
  await kept.written(/: keep-alive\n\n/)
  t.notMatch(gone.text, /event: calls/, 'the list was not written to a closed page')
  t.match(kept.text, /event: calls\n/, 'the open page got the list')
})

t.test('a stream still opening when the live view closes is ended, not kept open', async (t) => {
  const registry = registryFor(flow, logger([], []))
  t.teardown(() => registry.close())
  await registry.dispatch({ type: 'session_start', session: { id: 'listed' } }, { log: logger([], []) })
  let listed!: () => void
  const gate = new Promise<void>((resolve) => { listed = resolve })
  // The list of calls is read while the page opens; it is held until the hub has closed.
  const source = {
    ids: () => registry.ids(),
    get: async (id: string) => { await gate; return await registry.get(id) },
    record: async (id: string) => await registry.record(id),
    watch: registry.watch.bind(registry),
    observe: registry.observe.bind(registry)
  }
  const hub = new LiveHub({ registry: source, flow, log: logger([], []), limit: 10, keepAlive: 60_000 })
  const opening = response()
  const opened = hub.open(opening)
  hub.close()
  listed()
  await opened
  t.ok(opening.writableEnded, 'ended, as close() ends every stream')
  t.notMatch(opening.text, /event: calls/)

  const late = response()
  await hub.open(late)
  t.ok(late.writableEnded, 'a stream opened after close() is ended at once')
  t.equal(late.text, '')
})
