import { once } from 'node:events'
import WebSocket from 'ws'
import { CallMix, type NextEvent } from './calls'
import type { LoadResult } from './load'

/*
 * The WebSocket load: the service's side of the socket. A socket carries its
 * own calls, one event after another; the events the demo answers
 * (session_start, user_speak) wait for their reply frame, the others are
 * sent and left, as the service does.
 */

const answered = new Set(['session_start', 'user_speak'])

class Socket {
  readonly #socket: WebSocket
  #waiter: ((frame: string) => void) | undefined
  failures = 0

  constructor (socket: WebSocket) {
    this.#socket = socket
    socket.on('message', (data) => {
      const waiter = this.#waiter
      this.#waiter = undefined
      if (waiter === undefined) this.failures++
      else waiter(data.toString())
    })
  }

  static async open (port: number): Promise<Socket> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`)
    await once(socket, 'open')
    return new Socket(socket)
  }

  /** Sends one event; for an answered event, resolves once its reply has come (false when it is not this call's). */
  async send (event: NextEvent): Promise<boolean> {
    if (!answered.has(event.type)) {
      this.#socket.send(event.body)
      return true
    }
    const reply = new Promise<string>((resolve) => { this.#waiter = resolve })
    this.#socket.send(event.body)
    const frame = await reply
    return frame.includes(event.call.id)
  }

  async close (): Promise<void> {
    this.#socket.close()
    await once(this.#socket, 'close')
  }
}

async function drive (socket: Socket, mix: CallMix, done: () => boolean, times?: number[]): Promise<void> {
  while (!done()) {
    const event = mix.next() as NextEvent
    const started = process.hrtime.bigint()
    const ok = await socket.send(event)
    if (times !== undefined && answered.has(event.type)) times.push(Number(process.hrtime.bigint() - started) / 1000)
    mix.answer(event, ok ? 200 : 500)
  }
}

/** Drives `connections` sockets for `seconds`, each with its share of `calls`. */
export async function throughputWs (port: number, seconds: number, connections: number, calls: number, turns: number): Promise<LoadResult> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => Socket.open(port)))
  const mixes = sockets.map(() => new CallMix({ calls: Math.max(1, Math.floor(calls / connections)), turns }))
  const started = process.hrtime.bigint()
  const end = started + BigInt(Math.round(seconds * 1e9))
  await Promise.all(sockets.map((socket, i) => drive(socket, mixes[i], () => process.hrtime.bigint() >= end)))
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  await Promise.all(sockets.map((socket) => socket.close()))
  return {
    events: mixes.reduce((sum, mix) => sum + mix.total, 0),
    seconds: elapsed,
    failures: mixes.reduce((sum, mix) => sum + mix.failures, 0) + sockets.reduce((sum, socket) => sum + socket.failures, 0)
  }
}

/**
 * Sends `count` events on one socket, one after another, and times each
 * event the demo answers from its frame out to its reply frame in, in µs.
 */
export async function latenciesWs (port: number, calls: number, turns: number, count: number): Promise<number[]> {
  const socket = await Socket.open(port)
  // Few enough calls that each runs through its whole life about twice: the events come in the proportions
  // of real calls, not as one session_start for every call of a fresh load.
  const mix = new CallMix({ calls: Math.max(1, Math.min(calls, Math.floor(count / (2 * (2 + 3 * turns))))), turns })
  const times: number[] = []
  await drive(socket, mix, () => mix.total >= count, times)
  await socket.close()
  return times
}
