import type { AnyStateMachine } from 'xstate'
import { FlowDriver, type FlowDriverOptions } from './flow-driver'
import { HttpDriver } from './http-driver'
import { SimulatedCall, type SimulatedCallOptions, type Turn } from './simulated-call'
import type { Direction } from './events'

export interface SimulateOptions extends SimulatedCallOptions, FlowDriverOptions {
  /** Sent in `X-API-TOKEN` to a server. */
  token?: string
}

/** A flow machine, or the webhook URL of a running server (`http:` or `https:`). */
export type SimulationTarget = AnyStateMachine | string | URL

/**
 * A simulated call against `target`: a flow driven in this process (its
 * delays on a simulated clock), or a running server reached by its webhook URL.
 *
 * @example
 * const call = simulateCall(flow)
 * t.same(await call.start(), [speak('Welcome to Acme!')])
 * t.same(await call.press('1'), [speak('Sales, one moment.'), transfer({ ... })])
 * await call.close()
 */
export function simulateCall (target: SimulationTarget, options: SimulateOptions = {}): SimulatedCall {
  const { sessionId, session, token, ...flowOptions } = options
  if (typeof target === 'string' || target instanceof URL) {
    const url = new URL(target)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`the simulator reaches servers by http: or https: URLs, got ${url.protocol}`)
    }
    return new SimulatedCall(new HttpDriver(url.href, { token }), { sessionId, session })
  }
  return new SimulatedCall(new FlowDriver(target, flowOptions), { sessionId, session })
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
export async function runScript (target: SimulationTarget, script: readonly Move[], options: SimulateOptions = {}): Promise<Turn[]> {
  const call = simulateCall(target, options)
  try {
    for (const move of script) await play(call, move)
  } finally {
    await call.close()
  }
  return call.turns
}

async function play (call: SimulatedCall, move: Move): Promise<unknown> {
  if (typeof move === 'string') return move === 'start' ? call.start() : call[move]()
  if ('start' in move) return call.start(move.start)
  if ('say' in move) return call.say(move.say)
  if ('bargeIn' in move) return call.bargeIn(move.bargeIn)
  if ('press' in move) return call.press(move.press)
  if ('wait' in move) return call.wait(move.wait)
  if ('send' in move) return call.send(move.send)
  throw new TypeError(`unknown move ${JSON.stringify(move)}`)
}
