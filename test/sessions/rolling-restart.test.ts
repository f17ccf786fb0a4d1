import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'
import { Redis } from 'ioredis'
import { sharedRedis } from '../fixtures/redis-server'
import { event, sleep, spawnTsx } from '../fixtures/helpers'
import { parseHistory } from '../sim/fixtures/probe-flow'

/*
 * A rolling restart of three instances, each in a process of its own
 * (test/fixtures/rolling-instance.ts), under calls that never stop: each
 * instance in turn is taken out of the balancer, sent SIGTERM, and started
 * again once it has exited, while callers keep sending events that start
 * work (500 to 2500 ms) and delays. No event may be refused, no event
 * answered may be missing from its call afterwards, no work may be left
 * unfinished, and no work may run twice: each closing instance lets its
 * work finish, within drainTimeout, before it withdraws (stopped and run
 * again elsewhere, it would run twice).
 */

// Processes start and stop in real time: well past tap's default of 30 s on a busy machine.
t.setTimeout(240_000)

interface Child {
  port: number
  process: ChildProcess
  /** Every `work <key>` it printed. */
  work: string[]
}

async function start (url: string, prefix: string, works: string[]): Promise<Child> {
  const fixture = path.join(__dirname, '..', 'fixtures', 'rolling-instance.ts')
  const child = spawnTsx(fixture, [url, prefix], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  const work: string[] = []
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += String(chunk)
      const lines = output.split('\n')
      output = lines.pop() as string
      for (const line of lines) {
        const listening = /^listening (\d+)$/.exec(line)
        if (listening !== null) resolve(Number(listening[1]))
        const started = /^work (\S+)$/.exec(line)
        if (started !== null) { work.push(started[1]); works.push(started[1]) }
      }
    })
    child.once('exit', (code) => reject(new Error(`the instance exited with ${String(code)} before it listened`)))
  })
  return { port, process: child, work }
}

interface Sent { token: string, type: string, status: number, body: unknown }

t.test('a rolling restart of three instances under calls with work and delays: no event refused or lost, no work run twice', async (t) => {
  const url = await sharedRedis(t)
  const prefix = `test:${randomUUID()}:`
  const works: string[] = []
  const children: Array<Child | undefined> = []
  t.teardown(() => { for (const child of children) child?.process.kill('SIGKILL') })
  for (let i = 0; i < 3; i++) children.push(await start(url, prefix, works))
  // The balancer: round robin over the instances in rotation.
  const inRotation = new Set([0, 1, 2])
  let next = 0
  const route = (): Child => {
    const live = [...inRotation]
    return children[live[next++ % live.length]] as Child
  }
  let seq = 0
  const calls = new Map<string, Sent[]>()
  const send = async (id: string, type: string, fields: Record<string, unknown> = {}): Promise<Sent> => {
    const token = `${type}#${++seq}`
    const instance = route()
    let sent: Sent
    try {
      const response = await fetch(`http://127.0.0.1:${instance.port}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...event(type, id, fields), seq: Number(token.split('#')[1]) }) })
      const text = await response.text()
      sent = { token, type, status: response.status, body: text === '' ? undefined : JSON.parse(text) }
    } catch (err) {
      sent = { token, type, status: 0, body: String(err) }
    }
    calls.get(id)?.push(sent)
    return sent
  }
  const steps = [
    { type: 'user_speak', fields: { text: 'work' } },
    { type: 'user_speak', fields: { text: 'delay' } },
    { type: 'dtmf_received', fields: { digit: '1' } },
    { type: 'user_speak', fields: { text: 'hello' } }
  ]
  const run = { calling: true }
  /** One caller: call after call, each a few events apart, until told to stop. */
  const caller = async (): Promise<void> => {
    while (run.calling) {
      const id = randomUUID()
      calls.set(id, [])
      await send(id, 'session_start')
      for (let i = 0; i < 6 && run.calling; i++) {
        const step = steps[Math.floor(Math.random() * steps.length)]
        await send(id, step.type, step.fields)
        await sleep(100 + Math.floor(Math.random() * 400))
      }
    }
  }
  const callers = Array.from({ length: 8 }, async () => await caller())

  const exits: Array<number | null> = []
  for (let i = 0; i < 3; i++) {
    await sleep(1500)
    // Out of the balancer first (a preStop hook's wait), then SIGTERM.
    inRotation.delete(i)
    await sleep(100)
    const old = children[i] as Child
    const exited = once(old.process, 'exit')
    const stopping = Date.now()
    old.process.kill('SIGTERM')
    const [code] = await exited as [number | null]
    exits.push(code)
    const starting = Date.now()
    children[i] = await start(url, prefix, works)
    inRotation.add(i)
    t.comment(`instance ${i}: closed and exited in ${starting - stopping} ms, started again in ${Date.now() - starting} ms`)
  }
  await sleep(1500)
  run.calling = false
  await Promise.all(callers)

  // Work and delays still running finish; then each call is looked at as the store keeps it.
  await sleep(4000)
  const redis = new Redis(url)
  t.teardown(() => redis.quit())
  let events = 0
  let dropped = 0
  let lost = 0
  let unfinished = 0
  let diverged = 0
  for (const [id, sent] of calls) {
    events += sent.length
    const refused = sent.filter((one) => one.status < 200 || one.status > 299)
    dropped += refused.length
    for (const one of refused) t.comment(`${one.token} of ${id}: ${one.status} ${JSON.stringify(one.body)}`)
    const text = await redis.hget(`${prefix}{${id}}`, 'record')
    const record = JSON.parse(text ?? '{}') as { snapshot?: { value?: unknown, context?: { history?: string[] } } }
    const history = record.snapshot?.context?.history ?? []
    const missing = sent.filter((one) => one.status >= 200 && one.status < 300 && !history.includes(one.token))
    lost += missing.length
    if (missing.length > 0) t.comment(`${id} lacks ${missing.map((one) => one.token).join(', ')}: ${history.join(',')}`)
    // Every reply shows the call's history as it then was: each is a beginning of the final one.
    for (const one of sent) {
      for (const action of [one.body].flat() as Array<{ text?: string }>) {
        const said = parseHistory(action?.text ?? '')
        if (said === undefined || JSON.stringify(history.slice(0, said.history.length)) === JSON.stringify(said.history)) continue
        diverged++
        t.comment(`${one.token}'s reply shows ${said.history.join(',')}, not a beginning of ${id}'s history ${history.join(',')}`)
      }
    }
    if (record.snapshot?.value !== 'idle') {
      unfinished++
      t.comment(`${id} is left ${JSON.stringify(record.snapshot?.value)}: ${history.join(',')}`)
    }
  }
  const counted = new Map<string, number>()
  for (const key of works) counted.set(key, (counted.get(key) ?? 0) + 1)
  const twice = [...counted.values()].filter((count) => count > 1).length
  t.comment(`rolling restart: ${calls.size} calls, ${events} events, ${works.length} pieces of work started, ${dropped} events dropped, ${lost} answered events lost, ${unfinished} calls left waiting for work or a delay, ${twice} pieces of work run twice`)
  t.same(exits, [0, 0, 0], 'each instance closed on SIGTERM and exited 0')
  t.ok(calls.size >= 16, `calls went on throughout (${calls.size})`)
  t.ok(works.length >= 10, `with work running (${works.length} pieces)`)
  t.equal(dropped, 0, 'no event refused or unanswered')
  t.equal(lost, 0, 'no event answered is missing from its call')
  t.equal(unfinished, 0, 'every work and delay finished, its result kept')
  t.equal(diverged, 0, 'every reply showed its call\'s history as the call went on')
  t.equal(twice, 0, 'no work run twice: the closing instances let their work finish')
})
