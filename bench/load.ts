import autocannon from 'autocannon'
import { Client } from 'undici'
import { CallMix, type NextEvent } from './calls'

const headers = { 'content-type': 'application/json' }

export interface LoadResult {
  events: number
  seconds: number
  failures: number
}

/**
 * Drives the server at full speed for `seconds` over `connections`
 * keep-alive connections, each event of `mix` in its own request.
 */
export async function throughput (port: number, mix: CallMix, seconds: number, connections: number): Promise<LoadResult> {
  const before = mix.total
  const failuresBefore = mix.failures
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{
      method: 'POST',
      path: '/webhook',
      headers,
      // The context lives for one request: it carries the event to its answer.
      setupRequest: (request, context: { event?: NextEvent }) => {
        const event = mix.next() as NextEvent
        context.event = event
        return { ...request, body: event.body }
      },
      onResponse: (status, _body, context: { event?: NextEvent }) => mix.answer(context.event as NextEvent, status)
    }]
  })
  return {
    events: mix.total - before,
    seconds: result.duration,
    failures: mix.failures - failuresBefore + result.errors + result.timeouts
  }
}

/**
 * Sends `count` events one after another on one keep-alive connection and
 * times each from the request to the end of its response, in µs.
 */
export async function latencies (port: number, mix: CallMix, count: number): Promise<number[]> {
  const [times] = await alternating([{ port, mix }], count)
  return times
}

/**
 * As `latencies`, to several servers in turn, one request to each: what
 * the machine does meanwhile (another tenant, the CPU's clock) then weighs
 * on all of them alike. Returns the times of each server.
 */
export async function alternating (servers: Array<{ port: number, mix: CallMix }>, count: number): Promise<number[][]> {
  const clients = servers.map(({ port }) => new Client(`http://127.0.0.1:${port}`, { pipelining: 1 }))
  const times: number[][] = servers.map(() => [])
  try {
    for (let i = 0; i < count; i++) {
      for (const [n, { mix }] of servers.entries()) {
        const event = mix.next() as NextEvent
        const started = process.hrtime.bigint()
        const res = await clients[n].request({ method: 'POST', path: '/webhook', headers, body: event.body })
        await res.body.dump()
        times[n].push(Number(process.hrtime.bigint() - started) / 1000)
        mix.answer(event, res.statusCode)
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()))
  }
  return times
}
