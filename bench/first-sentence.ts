import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { Type } from '@sinclair/typebox'
import { emit } from 'xstate'
import { agent, fastifyAiFlow, functionTool, setupFlow, speak, type AgentMemory } from '../lib'
import { scriptedModel, type ScriptedAnswer } from '../lib/testing'
import { median } from './stats'

/*
 * `npx tsx bench/first-sentence.ts [calls]`: the time from a caller's turn
 * to the first sentence they hear, in an agent turn whose model calls one
 * tool that takes 500 ms, over the WebSocket and over the webhook, as the
 * service sees it (from sending `user_speak` to the first `speak` arriving)
 * and as the plugin measures it (the summary line's `firstSentenceMs`).
 *
 * The scripted model answers as a hosted model might: 300 ms before its
 * first word or tool call, then 20 ms a word. Two scripts: the model calls
 * the tool at once, then answers; or it says a short line first.
 */

const TOOL_MS = 500
const FIRST_MS = 300
const WORD_MS = 20
const SLOT = Type.Object({ day: Type.String(), time: Type.String(), people: Type.Integer() })
const args = { day: 'Friday', time: '19:00', people: 4 }
const answer = 'Friday at seven is free. Shall I book it?'

const scripts: Record<string, ScriptedAnswer[]> = {
  'tool at once': [
    { tools: [{ name: 'check_availability', args }], firstDelay: FIRST_MS, delay: WORD_MS },
    { text: answer, firstDelay: FIRST_MS, delay: WORD_MS }
  ],
  'a line, then the tool': [
    { text: 'Let me check the calendar.', tools: [{ name: 'check_availability', args }], firstDelay: FIRST_MS, delay: WORD_MS },
    { text: answer, firstDelay: FIRST_MS, delay: WORD_MS }
  ]
}

function flow (answers: ScriptedAnswer[]) {
  return setupFlow({ types: { context: {} as { agent?: AgentMemory } } }).createMachine({
    id: 'firstSentence',
    context: {},
    initial: 'start',
    states: {
      start: { on: { session_start: 'host' } },
      host: agent({
        id: 'host',
        model: scriptedModel(answers, { perCall: true }),
        instructions: 'You take table bookings.',
        functions: {
          check_availability: functionTool({
            description: 'Whether a table is free',
            parameters: SLOT,
            run: async ({ signal }) => { await sleep(TOOL_MS, undefined, { signal }); return { free: true } }
          })
        },
        tools: {},
        onError: 'sorry'
      }),
      sorry: { entry: emit(speak('Sorry.')) }
    }
  })
}

/** The summary lines' `firstSentenceMs.mean` of each call, as the plugin measured it. */
class Summaries extends Writable {
  readonly firstSentence: number[] = []
  override _write (chunk: Buffer, _encoding: string, done: () => void): void {
    for (const text of chunk.toString().split('\n')) {
      if (!text.includes('"call ended"')) continue
      const mean = (JSON.parse(text) as { call: { agent?: { firstSentenceMs?: { mean: number } } } }).call.agent?.firstSentenceMs?.mean
      if (mean !== undefined) this.firstSentence.push(mean)
    }
    done()
  }
}

const session = (id: string): Record<string, unknown> => ({ id, direction: 'inbound', from_phone_number: '+4915790000000', to_phone_number: '+4930000000' })
const envelope = (type: string, id: string, fields: Record<string, unknown> = {}): Record<string, unknown> => ({ type, session: session(id), ...fields })

async function webhookCall (base: string, id: string): Promise<number> {
  const send = async (body: unknown): Promise<unknown> => {
    const response = await fetch(`${base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return response.status === 204 ? undefined : await response.json()
  }
  await send(envelope('session_start', id))
  const started = performance.now()
  const reply = await send(envelope('user_speak', id, { text: 'Is there a table for four on Friday at seven?' }))
  const took = performance.now() - started
  if (![reply].flat().some((action) => (action as { type?: string } | undefined)?.type === 'speak')) throw new Error(`no sentence in the reply: ${JSON.stringify(reply)}`)
  await send(envelope('session_end', id))
  return took
}

async function socketCall (base: string, id: string): Promise<number> {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/ws`)
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  let started = 0
  const spoken = new Promise<number>((resolve) => {
    socket.on('message', (data) => {
      const actions = [JSON.parse(data.toString())].flat() as Array<{ type: string }>
      if (actions.some((action) => action.type === 'speak')) resolve(performance.now() - started)
    })
  })
  socket.send(JSON.stringify(envelope('session_start', id)))
  started = performance.now()
  socket.send(JSON.stringify(envelope('user_speak', id, { text: 'Is there a table for four on Friday at seven?' })))
  const took = await spoken
  socket.send(JSON.stringify(envelope('session_end', id)))
  await sleep(20)
  socket.close()
  return took
}

async function measure (script: string, transport: 'websocket' | 'webhook', calls: number): Promise<{ client: number[], plugin: number[] }> {
  const summaries = new Summaries()
  const app: FastifyInstance = Fastify({ logger: { level: 'info', stream: summaries } })
  await app.register(fastifyAiFlow, { flow: flow(scripts[script]), websocket: true })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const client: number[] = []
  try {
    for (let i = 0; i < calls; i++) client.push(await (transport === 'websocket' ? socketCall : webhookCall)(base, `${transport}-${i}`))
    // The last summary line is written as its call ends.
    await sleep(50)
  } finally {
    await app.close()
  }
  return { client, plugin: summaries.firstSentence }
}

const ms = (values: number[]): string => `${Math.round(median(values))} ms (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`

async function main (): Promise<void> {
  const calls = Number(process.argv[2] ?? 10)
  console.log(`First sentence of a turn with one ${TOOL_MS} ms tool; the model: ${FIRST_MS} ms to its first word or call, ${WORD_MS} ms a word; ${calls} calls each; median (min–max)`)
  console.log('| script | transport | at the service | the plugin\'s firstSentenceMs |')
  console.log('| --- | --- | --- | --- |')
  for (const script of Object.keys(scripts)) {
    for (const transport of ['websocket', 'webhook'] as const) {
      const { client, plugin } = await measure(script, transport, calls)
      console.log(`| ${script} | ${transport} | ${ms(client)} | ${ms(plugin)} |`)
    }
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
