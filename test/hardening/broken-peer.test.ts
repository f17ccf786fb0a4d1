import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { assign, emit, fromPromise, type AnyStateMachine } from 'xstate'
import { fastifyAiFlow, setupFlow, speak } from '../../lib'
import { Gates } from '../fixtures/chat-flow'

/*
 * A peer that breaks off: connections closed halfway through a body, before
 * the reply, or with garbage after a good request. The server stays up, and
 * every event it did accept reaches the flow once, in order.
 */

/**
 * Counts turns; each turn's reply waits for a lookup, which a newer turn
 * restarts. A lookup ends only when the test opens the gate of its turn
 * number (for every call at once); `heard` is told of every turn.
 */
function slowFlow (gates: Gates, heard: (id: string, turns: number) => void = () => {}) {
  return setupFlow({
    types: { context: {} as { turns: number } },
    actors: { lookup: fromPromise(async ({ input }: { input: number }) => { await gates.pass(String(input)); return 'found' }) }
  }).createMachine({
    context: { turns: 0 },
    on: {
      user_speak: {
        target: '.looking',
        reenter: true,
        actions: [assign({ turns: ({ context }) => context.turns + 1 }), ({ context, event }) => heard(event.session.id, context.turns)]
      }
    },
    initial: 'idle',
    states: {
      idle: {},
      looking: {
        invoke: { src: 'lookup', input: ({ context }) => context.turns, onDone: { target: 'idle', actions: emit(({ context }) => speak(`turn ${context.turns}`)) } }
      }
    }
  })
}

interface Server {
  app: FastifyInstance
  port: number
  /** Resolves once the server has seen `count` connections close, in all. */
  closed: (count: number) => Promise<void>
  /** Resolves once `count` requests, in all, have reached the server with their headers. */
  requested: (count: number) => Promise<void>
}

/** Resolves once `count()` reaches `n`; `bump` is called on every change. */
function counter (): { bump: () => void, reached: (n: number) => Promise<void> } {
  let count = 0
  const waits: Array<{ n: number, resolve: () => void }> = []
  return {
    bump: () => {
      count++
      for (const wait of waits.filter((wait) => wait.n <= count)) wait.resolve()
    },
    reached: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => { waits.push({ n, resolve }) }))
  }
}

async function start (flow: AnyStateMachine): Promise<Server> {
  const app = Fastify()
  const closes = counter()
  const requests = counter()
  app.server.on('connection', (socket: net.Socket) => socket.once('close', closes.bump))
  app.addHook('onRequest', async () => { requests.bump() })
  await app.register(fastifyAiFlow, { flow })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as net.AddressInfo).port, closed: closes.reached, requested: requests.reached }
}

function request (body: string, contentLength = Buffer.byteLength(body)): string {
  return `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n${body}`
}

const speakEvent = (id: string, text: string) => JSON.stringify({ type: 'user_speak', session: { id }, text })

/** A raw connection to the server: what it writes, and what came back so far. */
async function connect (port: number): Promise<{ socket: net.Socket, received: () => string, until: (pattern: RegExp) => Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1')
  let received = ''
  const waits: Array<{ pattern: RegExp, resolve: () => void }> = []
  socket.on('data', (data) => {
    received += data.toString()
    for (const wait of waits.filter((wait) => wait.pattern.test(received))) wait.resolve()
  })
  socket.on('error', () => {})
  await once(socket, 'connect')
  const until = (pattern: RegExp) => (pattern.test(received) ? Promise.resolve() : new Promise<void>((resolve) => { waits.push({ pattern, resolve }) }))
  return { socket, received: () => received, until }
}

async function answer (app: FastifyInstance, id: string, text: string): Promise<unknown> {
  const res = await app.inject({ method: 'POST', url: '/webhook', payload: JSON.parse(speakEvent(id, text)) })
  return res.json()
}

t.test('a body cut off halfway reaches no flow, and the server carries on', async (t) => {
  const gates = new Gates()
  const { app, port, closed, requested } = await start(slowFlow(gates))
  t.teardown(() => app.close())
  const body = speakEvent('cut', 'hello')
  const cut = await connect(port)
  cut.socket.end(request(body).slice(0, -10))
  const short = await connect(port)
  short.socket.write(request(body, body.length + 50) + body)
  // Both requests are in, their bodies short of what they announced; then the peers go.
  await requested(2)
  short.socket.destroy()
  await closed(2)
  t.equal(app.aiFlow.liveCalls, 0, 'no call was started by a body that never arrived whole')
  gates.open('1')
  t.same(await answer(app, 'cut', 'hello'), { type: 'speak', session_id: 'cut', text: 'turn 1' })
})

t.test('a peer that hangs up before the reply: the event still counts, once, and the next one follows it', async (t) => {
  const gates = new Gates()
  const { app, port, closed } = await start(slowFlow(gates))
  t.teardown(() => app.close())
  for (const [i, text] of ['first', 'second'].entries()) {
    const peer = await connect(port)
    peer.socket.write(request(speakEvent('gone', text)))
    // The event has reached the flow, whose reply waits for its lookup: the peer goes.
    await gates.started(String(i + 1))
    peer.socket.destroy()
    await closed(i + 1)
  }
  const third = answer(app, 'gone', 'third')
  await gates.started('3')
  gates.open('3')
  t.same(await third, { type: 'speak', session_id: 'gone', text: 'turn 3' })
})

t.test('garbage after a good request on the same connection: the request is answered, the garbage refused', async (t) => {
  const gates = new Gates()
  const { app, port } = await start(slowFlow(gates))
  t.teardown(() => app.close())
  gates.open('1')
  gates.open('2')
  const peer = await connect(port)
  t.teardown(() => peer.socket.destroy())
  peer.socket.write(request(speakEvent('mixed', 'hi')))
  await peer.until(/"text":"turn 1"/)
  peer.socket.write('NOT HTTP AT ALL\r\n\r\n')
  await peer.until(/HTTP\/1\.1 400 Bad Request/)
  t.match(peer.received(), /^HTTP\/1\.1 200 OK/)
  t.match(peer.received(), /"text":"turn 1"/)
  t.same(await answer(app, 'mixed', 'again'), { type: 'speak', session_id: 'mixed', text: 'turn 2' })
})

t.test('many connections dropped at once while their replies wait leave no call stuck', async (t) => {
  const gates = new Gates()
  const handled = counter()
  const { app, port, closed } = await start(slowFlow(gates, () => handled.bump()))
  t.teardown(() => app.close())
  const peers = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const peer = await connect(port)
    peer.socket.write(request(speakEvent(`drop-${i % 5}`, 'x')))
    return peer
  }))
  // Every event has reached its flow (the lookups wait), and then every peer goes at once.
  await handled.reached(50)
  for (const peer of peers) peer.socket.destroy()
  await closed(50)
  const turns = async (i: number) => ((await app.aiFlow.getCall(`drop-${i}`))?.context as { turns?: number } | undefined)?.turns
  t.same(await Promise.all([0, 1, 2, 3, 4].map(turns)), [10, 10, 10, 10, 10], 'every event that arrived whole was handled once')
  gates.open('11')
  const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => answer(app, `drop-${i}`, 'still there?')))
  t.same(replies, Array.from({ length: 5 }, (_, i) => ({ type: 'speak', session_id: `drop-${i}`, text: 'turn 11' })))
})
