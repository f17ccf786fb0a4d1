import type { FastifyInstance } from 'fastify'
import type { SessionStore } from '../sessions'

export interface ReadinessOptions {
  path: string
  /** How long the store has to answer, in ms. */
  timeout: number
  store: SessionStore
  /** Whether the instance has begun to close. */
  closing: () => boolean
}

export type Readiness = { ready: true } | { ready: false, reason: 'closing' | 'store unreachable' }

// A key no call uses: its lookup costs the store one read and changes nothing.
const PROBE_KEY = 'fastify-ai-flow:readiness-probe'

/** Resolves whether the store answered a lookup within `timeout` ms; rejects with what went wrong. */
async function storeAnswers (store: SessionStore, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout).unref()
  })
  try {
    await Promise.race([store.get(PROBE_KEY), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Whether this instance can serve calls now: it is not closing, and its
 * store answers. Logs why not at `warn`, with the store's error.
 */
export async function checkReadiness ({ store, timeout, closing }: Omit<ReadinessOptions, 'path'>, log: FastifyInstance['log']): Promise<Readiness> {
  if (closing()) return { ready: false, reason: 'closing' }
  try {
    await storeAnswers(store, timeout)
  } catch (err) {
    log.warn({ err }, 'not ready: the session store did not answer')
    return { ready: false, reason: 'store unreachable' }
  }
  // Close may have begun while the store was asked.
  return closing() ? { ready: false, reason: 'closing' } : { ready: true }
}

/**
 * The readiness check for load balancers and orchestrators: `GET <path>`
 * answers 200 `{ ready: true }` while the instance can serve calls, and 503
 * `{ ready: false, reason }` once it closes or while its store is out of reach.
 */
export async function readinessRoute (app: FastifyInstance, options: ReadinessOptions): Promise<void> {
  app.get(options.path, { logLevel: 'warn' }, async function readiness (request, reply) {
    const readiness = await checkReadiness(options, request.log)
    return reply.code(readiness.ready ? 200 : 503).send(readiness)
  })
}
