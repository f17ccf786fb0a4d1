import type { AnyStateMachine } from 'xstate'
import { FlowDriver, type FlowDriverOptions } from './flow-driver'
import { HttpDriver } from './http-driver'
import { WebSocketDriver } from './websocket-driver'
import { SimulatedCall, type SimulatedCallOptions, type Turn } from './simulated-call'
import type { Direction } from './events'

export interface SimulateOptions extends SimulatedCallOptions, FlowDriverOptions {
  /** Sent in `X-API-TOKEN` to a server. */
  token?: string
  /** Over a WebSocket: ms of quiet after which a reply is taken as complete. Default 100. */
  settle?: number
}

/** A flow machine, or a running server's webhook URL (`http:`, `https:`) or WebSocket URL (`ws:`, `wss:`). */
export type SimulationTarget = AnyStateMachine | string | URL

/**
 * A simulated call against `target`: a flow driven in this process (its
 * delays on a simulated clock), or a running server reached by its webhook
 * or WebSocket URL.
 *
 * @example
 * const call = simulateCall(flow)
 * t.same(await call.start(), [speak('Welcome to Acme!')])
 * t.same(await call.press('1'), [speak('Sales, one moment.'), transfer({ ... })])
 * await call.close()
 */
export function simulateCall<TMachine extends AnyStateMachine = AnyStateMachine> (
  target: TMachine | string | URL, options: SimulateOptions = {}
): SimulatedCall<TMachine> {
  const { sessionId, session, token, settle, ...flowOptions } = options
  if (typeof target === 'string' || target instanceof URL) {
    const url = new URL(target)
    if (url.protocol === 'ws:' || url.protocol === 'wss:') {
      return new SimulatedCall<TMachine>(new WebSocketDriver(url.href, { token, settle }), { sessionId, session })
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`the simulator reaches servers by http:, https:, ws: or wss: URLs, got ${url.protocol}`)
    }
    return new SimulatedCall<TMachine>(new HttpDriver(url.href, { token }), { sessionId, session })
  }
  return new SimulatedCall<TMachine>(new FlowDriver(target, flowOptions), { sessionId, session })
}

/** One step of a script: the caller's moves, time passing, or any event. */
export type Move =
  | 'start' | 'transferFailed' | 'silence' | 'speechStarted' | 'speechEnded' | 'hangUp'
  | { start: Direction }
  | { say: string }
  | { bargeIn: string }
  | { press: string }
  | { wait: number }
  | { send: { type: string, [field: string]: unknown } }

/**
 * Plays a whole call from a script and returns its turns; the call is
 * closed afterwards, whether the script hung up or not.
 *
 * @example
 * const turns = await runScript(flow, ['start', { say: 'a table for two' }, { wait: 5000 }, 'silence', 'hangUp'])
 * t.same(turns.at(-2).actions, [speak('Are you still there?')])
 */
export async function runScript<TMachine extends AnyStateMachine = AnyStateMachine> (
  target: TMachine | string | URL, script: readonly Move[], options: SimulateOptions = {}
): Promise<Array<Turn<TMachine>>> {
  const call = simulateCall<TMachine>(target, options)
  try {
    for (const move of script) await play(call, move)
  } finally {
    await call.close()
  }
  return call.turns
}

async function play (call: SimulatedCall<AnyStateMachine>, move: Move): Promise<unknown> {
  if (typeof move === 'string') return move === 'start' ? call.start() : call[move]()
  if ('start' in move) return call.start(move.start)
  if ('say' in move) return call.say(move.say)
  if ('bargeIn' in move) return call.bargeIn(move.bargeIn)
  if ('press' in move) return call.press(move.press)
  if ('wait' in move) return call.wait(move.wait)
  if ('send' in move) return call.send(move.send)
  throw new TypeError(`unknown move ${JSON.stringify(move)}`)
}
