import net from 'node:net'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { assign, emit, fromPromise } from 'xstate'
import { fastifyAiFlow, setupFlow, speak } from '../../lib'
import { eventually, sleep } from '../fixtures/helpers'

/*
 * A peer that breaks off: connections closed halfway through a body, before
 * the reply, or with garbage after a good request. The server stays up, and
 * every event it did accept reaches the flow once, in order.
 */

/** Counts turns; each turn's reply waits for a lookup that takes a while, which a newer turn restarts. */
const slowFlow = setupFlow({
  types: { context: {} as { turns: number } },
  actors: { lookup: fromPromise(async () => { await sleep(40); return 'found' }) }
}).createMachine({
  context: { turns: 0 },
  on: { user_speak: { target: '.looking', reenter: true, actions: assign({ turns: ({ context }) => context.turns + 1 }) } },
  initial: 'idle',
  states: {
    idle: {},
    looking: {
      invoke: { src: 'lookup', onDone: { target: 'idle', actions: emit(({ context }) => speak(`turn ${context.turns}`)) } }
    }
  }
})

async function start (): Promise<{ app: FastifyInstance, port: number }> {
  const app = Fastify()
  await app.register(fastifyAiFlow, { flow: slowFlow })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as net.AddressInfo).port }
}

function request (body: string, contentLength = Buffer.byteLength(body)): string {
  return `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n${body}`
}

const speakEvent = (id: string, text: string) => JSON.stringify({ type: 'user_speak', session: { id }, text })

/**
 * Writes raw bytes (a number waits that many ms), then returns whatever came
 * back before the socket closed or `ms` passed.
 */
async function raw (port: number, chunks: Array<string | number>, { ms = 150, closeEarly = false } = {}): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  let received = ''
  socket.on('data', (data) => { received += data.toString() })
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  for (const chunk of chunks) typeof chunk === 'number' ? await sleep(chunk) : socket.write(chunk)
  if (closeEarly) socket.destroy()
  await sleep(ms)
  socket.destroy()
  return received
}

async function answer (app: FastifyInstance, id: string, text: string): Promise<unknown> {
  const res = await app.inject({ method: 'POST', url: '/webhook', payload: JSON.parse(speakEvent(id, text)) })
  return res.json()
}

t.test('a body cut off halfway reaches no flow, and the server carries on', async (t) => {
  const { app, port } = await start()
  t.teardown(() => app.close())
  const body = speakEvent('cut', 'hello')
  await raw(port, [request(body).slice(0, -10)], { closeEarly: true })
  await raw(port, [request(body, body.length + 50), body])
  t.equal(app.aiFlow.liveCalls, 0, 'no call was started by a body that never arrived whole')
  t.same(await answer(app, 'cut', 'hello'), { type: 'speak', session_id: 'cut', text: 'turn 1' })
})

t.test('a peer that hangs up before the reply: the event still counts, once, and the next one follows it', async (t) => {
  const { app, port } = await start()
  t.teardown(() => app.close())
  await raw(port, [request(speakEvent('gone', 'first'))], { ms: 10 })
  await raw(port, [request(speakEvent('gone', 'second'))], { ms: 10 })
  t.same(await answer(app, 'gone', 'third'), { type: 'speak', session_id: 'gone', text: 'turn 3' })
})

t.test('garbage after a good request on the same connection: the request is answered, the garbage refused', async (t) => {
  const { app, port } = await start()
  t.teardown(() => app.close())
  const got = await raw(port, [request(speakEvent('mixed', 'hi')), 100, 'NOT HTTP AT ALL\r\n\r\n'])
  t.match(got, /^HTTP\/1\.1 200 OK/)
  t.match(got, /"text":"turn 1"/)
  t.match(got, /HTTP\/1\.1 400 Bad Request/)
  t.same(await answer(app, 'mixed', 'again'), { type: 'speak', session_id: 'mixed', text: 'turn 2' })
})

t.test('many connections dropped at once while their replies wait leave no call stuck', async (t) => {
  const { app, port } = await start()
  t.teardown(() => app.close())
  await Promise.all(Array.from({ length: 50 }, (_, i) => raw(port, [request(speakEvent(`drop-${i % 5}`, 'x'))], { ms: 5 })))
  const turns = async (i: number) => ((await app.aiFlow.getCall(`drop-${i}`))?.context as { turns?: number } | undefined)?.turns
  const counted = async () => (await Promise.all([0, 1, 2, 3, 4].map(turns))).every((n) => n === 10)
  t.ok(await eventually(counted), 'every event that arrived whole was handled once')
  const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => answer(app, `drop-${i}`, 'still there?')))
  t.same(replies, Array.from({ length: 5 }, (_, i) => ({ type: 'speak', session_id: `drop-${i}`, text: 'turn 11' })))
})
