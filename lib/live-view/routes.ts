import type { FastifyInstance } from 'fastify'
import type { AnyStateMachine, StateValue } from 'xstate'
import type { SessionRegistry } from '../sessions'
import { toMermaid } from '../tools/mermaid'
import { UnknownCallError } from '../errors'
import { answerError } from '../transport/error-answer'
import { bearerCheck } from './auth'
import { LiveHub } from './hub'
import { page, pageSecurityPolicy } from './page'

export interface LiveViewRoutesOptions {
  path: string
  token: string
  registry: SessionRegistry
  flow: AnyStateMachine
}

const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': pageSecurityPolicy,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff'
}

/**
 * The live view: `GET <path>` serves the page; `<path>/calls` (JSON),
 * `<path>/stream` (Server-Sent Events) and `<path>/mermaid` (the diagram,
 * highlighted for `?call=<id>`) need `Authorization: Bearer <token>`.
 */
export async function liveViewRoutes (app: FastifyInstance, { path, token, registry, flow }: LiveViewRoutesOptions): Promise<void> {
  app.setErrorHandler(answerError)
  const hub = new LiveHub({ registry, flow, log: app.log, limit: 200, keepAlive: 20_000 })
  // Before the server closes: it waits for open connections, and a stream stays open.
  app.addHook('preClose', async () => { hub.close() })

  app.get(path, async (request, reply) => reply.headers(pageHeaders).send(page))
  const base = path === '/' ? '' : path

  await app.register(async function secured (app) {
    app.addHook('onRequest', bearerCheck(token))

    app.get(`${base}/calls`, async () => ({ chart: hub.chart, ...(await hub.calls()) }))

    app.get(`${base}/stream`, async (request, reply) => {
      reply.hijack()
      await hub.open(reply.raw).catch((err) => {
        request.log.error({ err }, 'the live view stream could not start')
        reply.raw.end()
      })
    })

    app.get<{ Querystring: { call?: string } }>(`${base}/mermaid`, {
      schema: { querystring: { type: 'object', properties: { call: { type: 'string', minLength: 1 } }, additionalProperties: false } }
    }, async (request, reply) => {
      const { call } = request.query
      const view = call === undefined ? undefined : await registry.get(call)
      if (call !== undefined && view === undefined) throw new UnknownCallError(call)
      reply.type('text/plain; charset=utf-8')
      return toMermaid(flow, { highlight: view?.state as StateValue | undefined })
    })
  })
}
