import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'
import { flow } from '../../examples/ivr-menu'
import { MemoryStore, type LiveBoard } from '../../lib'
import { RedisStore } from '../../lib/redis'
import { SessionRegistry, type CallTurn, type Logger } from '../../lib/sessions'
import type { AiFlowAction } from '../../lib/protocol'
import { LiveHub, Revisions, SHARED_LINE_CHARACTERS } from '../../lib/live-view/hub'
import { sharedRedis } from '../fixtures/redis-server'
import { buildApp, event, eventually, post } from '../fixtures/helpers'

const token = 'a-live-view-token-for-tests'
const headers = { authorization: `Bearer ${token}` }

let url: string
t.before(async () => { url = await sharedRedis(t) })

interface StreamEvent { event: string, data: any }

/** Reads Server-Sent Events from a fetch response; `until` reads on until one matches, comments left out. */
function reader (response: Response): { until: (match: (e: StreamEvent) => boolean) => Promise<StreamEvent[]> } {
  const chunks = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  async function next (): Promise<StreamEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.startsWith(':')) continue
        const [, event] = /^event: (.*)$/m.exec(block) ?? []
        const [, data] = /^data: (.*)$/m.exec(block) ?? []
        return { event, data: JSON.parse(data) }
      }
      const { value, done } = await chunks.read()
      if (done) return { event: 'closed', data: null }
      buffer += value
    }
  }
  return {
    async until (match) {
      const seen: StreamEvent[] = []
      for (;;) {
        const got = await next()
        seen.push(got)
        if (match(got) || got.event === 'closed') return seen
      }
    }
  }
}

/** Two instances of the plugin in this process, sharing one Redis under a prefix of the test's own. */
async function twoInstances (t: { teardown: (fn: () => unknown) => void }) {
  const prefix = `test:${randomUUID()}:`
  const one = await buildApp({ flow, liveView: { token }, store: new RedisStore({ url, prefix }) })
  const two = await buildApp({ flow, liveView: { token }, store: new RedisStore({ url, prefix }) })
  t.teardown(async () => { await one.app.close(); await two.app.close() })
  return { one: one.app, two: two.app, prefix, logs: one.logs }
}

const lineKinds = (lines: Array<{ from: string, kind: string }>) => lines.map((line) => `${line.from} ${line.kind}`)

t.test("one instance's stream follows a call served by both, in order, and sees it end", async (t) => {
  const { one, two } = await twoInstances(t)
  await post(two, event('session_start', 'before'))
  const base = await one.listen({ port: 0, host: '127.0.0.1' })
  const stream = reader(await fetch(`${base}/live/stream`, { headers }))
  const [, calls] = await stream.until((e) => e.event === 'calls')
  t.match(calls.data, { total: 1, calls: [{ id: 'before' }] }, 'a call served elsewhere before the page opened is listed')

  await post(two, event('session_start', 'moving'))
  let seen = await stream.until((e) => e.event === 'call' && e.data.id === 'moving')
  t.match(seen.at(-1)?.data, { states: ['main.listening.noInput.none', 'main.listening.noMatch.none'] })
  await post(one, event('user_input_timeout', 'moving'))
  await post(two, event('dtmf_received', 'moving', { digit: '1' }))
  seen = await stream.until((e) => e.event === 'call' && e.data.id === 'moving' && e.data.states[0] === 'sales')
  t.notOk(seen.some((e) => e.event === 'ended'), 'the call never left the list')
  await eventually(async () => (await one.inject({ url: '/live/calls/moving', headers })).json().transcript.length === 8)
  const detail = (await one.inject({ url: '/live/calls/moving', headers })).json()
  t.same(lineKinds(detail.transcript), [
    'call session_start', 'us speak', 'us speak',
    'call timeout', 'us speak',
    'caller key', 'us speak', 'us transfer'
  ], 'the transcript of both instances, in the call\'s order')
  t.same(detail.call.states, ['sales'])

  const listed = (await one.inject({ url: '/live/calls', headers })).json()
  t.same(listed.calls.map((call: { id: string }) => call.id).sort(), ['before', 'moving'])
  t.equal(listed.total, 2)

  await post(two, event('session_end', 'before'))
  seen = await stream.until((e) => e.event === 'ended' && e.data.id === 'before')
  t.ok(seen.length > 0, 'a call ended elsewhere leaves the list')
  t.same((await one.inject({ url: '/live/calls', headers })).json().calls.map((call: { id: string }) => call.id), ['moving'])
})

t.test('what another process wrote that is not JSON is left out', async (t) => {
  const { one, prefix } = await twoInstances(t)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  await redis.zadd(`${prefix}live`, Date.now() + 60_000, 'odd')
  await redis.hset(`${prefix}live:{odd}`, 'view', 'not json', 'revision', '1')
  await post(one, event('session_start', 'fine'))
  await eventually(async () => await redis.zcard(`${prefix}live:{fine}:lines`) === 3)
  await redis.zadd(`${prefix}live:{fine}:lines`, 1, '1:not json')
  const detail = (await one.inject({ url: '/live/calls/fine', headers })).json()
  t.same(lineKinds(detail.transcript), ['call session_start', 'us speak', 'us speak'], 'a line that is not JSON is left out')
  const base = await one.listen({ port: 0, host: '127.0.0.1' })
  const stream = reader(await fetch(`${base}/live/stream`, { headers }))
  const [, calls] = await stream.until((e) => e.event === 'calls')
  t.same(calls.data.calls.map((call: { id: string }) => call.id), ['fine'])
  await redis.publish(`${prefix}live`, 'not json')
  await post(one, event('session_end', 'fine'))
  const seen = await stream.until((e) => e.event === 'ended')
  t.same(seen.map((e) => e.event), ['ended'], 'the message was left out')
  t.same((await one.inject({ url: '/live/calls/fine', headers })).statusCode, 404)
})

function logger (warnings: string[]): Logger {
  const log: Logger = { child: () => log, debug: () => {}, info: () => {}, warn: (_, msg) => { warnings.push(String(msg)) }, error: () => {} }
  return log
}

t.test('a board that fails: each failure is logged, and the page shows what this instance knows', async (t) => {
  const warnings: string[] = []
  const log = logger(warnings)
  const registry = new SessionRegistry({ flow, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log })
  const failing = async (): Promise<never> => { throw new Error('Redis is away') }
  const remote = (id: string, lastEventAt: number) => JSON.stringify({ call: { id, states: [], lastEventAt }, revision: 1 })
  const board: LiveBoard = {
    put: failing,
    end: failing,
    lines: failing,
    views: async () => [remote('here', 5), remote('far', 1), remote('farther', 2), remote('farthest', 3)],
    listen: () => () => {}
  }
  const hub = new LiveHub({ registry, flow, log, limit: 3, keepAlive: 60_000, board, ttl: 60_000 })
  t.teardown(async () => { hub.close(); await registry.close() })
  await registry.dispatch({ type: 'session_start', session: { id: 'here' } }, { log })
  await registry.dispatch({ type: 'user_speak', session: { id: 'here' }, text: 'x'.repeat(SHARED_LINE_CHARACTERS + 10) } as never, { log })
  const { calls, total } = await hub.calls()
  t.same(calls.map((call) => call.id), ['here', 'farther', 'far'], 'the call held here, then the others up to the limit, the latest first')
  t.equal(total, 4)
  const detail = await hub.detail('here')
  t.equal(detail?.transcript[0].kind, 'session_start', 'the transcript heard here')
  await registry.dispatch({ type: 'session_end', session: { id: 'here' } }, { log })
  await eventually(() => warnings.filter((w) => w === 'the live view could not share a call change').length >= 4)
  t.ok(warnings.includes('the live view could not read the shared transcript: showing what this instance heard'))
  t.ok(warnings.filter((w) => w === 'the live view could not share a call change').length >= 4, 'lines, view and end, each logged')
})

t.test('a shared line is cut to a bounded length', async (t) => {
  const lines: Array<{ order: number, text: string }> = []
  const log = logger([])
  const registry = new SessionRegistry({ flow, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log })
  const board: LiveBoard = {
    put: async (_id, change) => { lines.push(...change.lines ?? []) },
    end: async () => {},
    lines: async () => lines.map((line) => line.text),
    views: async () => [],
    listen: () => () => {}
  }
  const hub = new LiveHub({ registry, flow, log, limit: 3, keepAlive: 60_000, board, ttl: 60_000 })
  t.teardown(async () => { hub.close(); await registry.close() })
  await registry.dispatch({ type: 'session_start', session: { id: 'long' } }, { log })
  await registry.dispatch({ type: 'user_speak', session: { id: 'long' }, text: 'x'.repeat(SHARED_LINE_CHARACTERS + 10) } as never, { log })
  const said = (await hub.detail('long'))?.transcript.find((line) => line.kind === 'said')
  t.equal(said?.text, 'x'.repeat(SHARED_LINE_CHARACTERS) + '…')
  t.ok(lines.every((line, i) => i === 0 || line.order > lines[i - 1].order), 'each line ordered after the one before')
})

t.test('revisions: a change heard late is not sent, and only the latest calls are remembered', async (t) => {
  const revisions = new Revisions(2)
  t.ok(revisions.later('a', 2))
  t.notOk(revisions.later('a', 1), 'an earlier revision is late')
  t.ok(revisions.later('a', 2), 'the same revision again is not')
  t.ok(revisions.later('b', 1))
  t.ok(revisions.later('c', 1))
  t.equal(revisions.size, 2)
  t.ok(revisions.later('a', 1), 'a forgotten call takes any revision')
  revisions.delete('a')
  t.equal(revisions.size, 1)
})

/** A board that keeps only the lines shared, as a shared store would order them. */
function linesBoard (): LiveBoard {
  const shared: Array<{ order: number, text: string }> = []
  return {
    put: async (_id, change) => { shared.push(...change.lines ?? []) },
    end: async () => {},
    lines: async () => [...shared].sort((a, b) => a.order - b.order).map((line) => line.text),
    views: async () => [],
    listen: () => () => {}
  }
}

t.test("a tool's line is shared too, between its event and the reply that waited for it", async (t) => {
  const log = logger([])
  const registry = new SessionRegistry({ flow, flows: {}, flowVersion: '1', store: new MemoryStore(), replyTimeout: 1000, sessionTtl: 60_000, maxSessions: 10, fallback: [], log })
  let toolRan: (id: string, news: any) => void = () => {}
  const source = {
    ids: () => registry.ids(),
    get: async (id: string) => await registry.get(id),
    record: async (id: string) => await registry.record(id),
    watch: registry.watch.bind(registry),
    observe: (observer: Parameters<typeof registry.observe>[0]) => registry.observe((turn) => {
      // The tool ran while the event's reply waited: told before the turn is.
      if (turn.event.type === 'user_speak') toolRan('agent', { at: turn.at, name: 'look_up', args: {}, round: 1, outcome: 'ok', result: '"found"', ms: 3 })
      observer(turn)
    }),
    watchTools: (watcher: typeof toolRan) => { toolRan = watcher; return () => {} }
  }
  const board = linesBoard()
  const hub = new LiveHub({ registry: source, flow, log, limit: 3, keepAlive: 60_000, board, ttl: 60_000 })
  t.teardown(async () => { hub.close(); await registry.close() })
  await registry.dispatch({ type: 'session_start', session: { id: 'agent' } }, { log })
  // Work that went on after a reply: its tool comes before the next event.
  toolRan('agent', { at: 1, name: 'later', args: {}, round: 1, outcome: 'ok', result: '"done"', ms: 1 })
  await registry.dispatch({ type: 'user_speak', session: { id: 'agent' }, text: 'hello' } as never, { log })
  const transcript = (await hub.detail('agent'))?.transcript ?? []
  t.same(transcript.map((line) => `${line.from} ${line.kind} ${line.text}`).filter((line) => !line.startsWith('us speak')).concat(transcript.slice(-1).map((line) => line.kind)), [
    'call session_start ', 'us tool later', 'caller said hello', 'us tool look_up', 'speak'
  ], 'the tool that ran after the first reply, then the event, its tool, its reply')
  t.equal(transcript.at(-2)?.text, 'look_up')
  t.equal(hub.perCall, 2, 'while the call is held: its transcript, and the place of the last line shared for it')
  await registry.dispatch({ type: 'session_end', session: { id: 'agent' } }, { log })
  t.equal(hub.perCall, 0, 'once it ended, nothing of it is left in the per-call maps')
})

t.test('two turns of a call in the same millisecond share their lines in the call\'s order', async (t) => {
  const log = logger([])
  let heard: (turn: CallTurn) => void = () => {}
  const source = {
    ids: () => ['same-ms'],
    get: async () => undefined,
    record: async () => undefined,
    watch: () => () => {},
    observe: (observer: (turn: CallTurn) => void) => { heard = observer; return () => {} },
    watchTools: () => () => {}
  }
  const board = linesBoard()
  const hub = new LiveHub({ registry: source as never, flow, log, limit: 3, keepAlive: 60_000, board, ttl: 60_000 })
  t.teardown(() => { hub.close() })
  const session = { id: 'same-ms' }
  const say = (text: string): AiFlowAction => ({ type: 'speak', session_id: 'same-ms', text }) as AiFlowAction
  // Both in one millisecond: the first turn's reply has two lines.
  heard({ at: 5000, event: { type: 'session_start', session }, reply: [say('Welcome.'), say('The menu.')], state: 'menu', pushed: false })
  heard({ at: 5000, event: { type: 'dtmf_received', session, digit: '1' } as never, reply: [say('Sales.')], state: 'sales', pushed: false })
  const texts = (await board.lines('same-ms')).map((line) => JSON.parse(line).text as string)
  t.same(texts, ['', 'Welcome.', 'The menu.', '1', 'Sales.'], 'the second turn\'s lines all come after the first\'s')
})
