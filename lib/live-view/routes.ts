import type { FastifyInstance } from 'fastify'
import type { AnyStateMachine, StateValue } from 'xstate'
import { toMermaid } from '../tools/mermaid'
import { UnknownCallError } from '../errors'
import { answerError } from '../transport/error-answer'
import { bearerCheck } from './auth'
import type { LiveBoard } from '../stores/store'
import { LiveHub, type LiveSource } from './hub'
import { findMermaid, mermaidPlaces } from './mermaid-bundle'
import { livePage } from './page'

export interface LiveViewRoutesOptions {
  path: string
  token: string
  registry: LiveSource
  flow: AnyStateMachine
  /** Where to look for Mermaid's package; the application's, then this package's. */
  mermaidFrom?: readonly string[]
  /** With a shared store: the calls of every instance, through the store (see `LiveHubOptions`). */
  board?: LiveBoard
  /** How long the board keeps a call after its last change, in ms. */
  ttl?: number
}

const callParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id']
} as const

const mermaidQuery = {
  type: 'object',
  properties: { call: { type: 'string', minLength: 1 } },
  additionalProperties: false
} as const

const escapeAttribute = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/**
 * The live view: `GET <path>` serves the page and `<path>/mermaid.js`
 * Mermaid's bundle from the installed package; `<path>/calls` (JSON),
 * `<path>/calls/<id>` (one call as the inspector shows it), `<path>/stream`
 * (Server-Sent Events) and `<path>/mermaid` (the diagram, highlighted for
 * `?call=<id>`) need `Authorization: Bearer <token>`.
 */
export async function liveViewRoutes (app: FastifyInstance, options: LiveViewRoutesOptions): Promise<void> {
  app.setErrorHandler(answerError)
  const { path, token, registry, flow, board, ttl } = options
  const hub = new LiveHub({ registry, flow, log: app.log, limit: 200, keepAlive: 20_000, board, ttl })
  // Before the server closes: it waits for open connections, and a stream stays open.
  app.addHook('preClose', async () => { hub.close() })
  const base = path === '/' ? '' : path

  const bundle = findMermaid(options.mermaidFrom ?? mermaidPlaces())
  if (bundle === undefined) app.log.warn('the live view draws no diagram: mermaid is not installed (npm install mermaid)')
  const page = livePage(bundle === undefined ? undefined : { src: escapeAttribute(`${app.prefix}${base}/mermaid.js`), bundle })

  app.get(path, async (request, reply) => reply.headers({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': page.securityPolicy,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff'
  }).send(page.html))

  if (bundle !== undefined) {
    app.get(`${base}/mermaid.js`, async (request, reply) => reply.headers({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff'
    }).send(bundle.script))
  }

  await app.register(async function secured (app) {
    app.addHook('onRequest', bearerCheck(token))

    app.get(`${base}/calls`, async () => ({ flow: hub.flow, ...(await hub.calls()) }))

    app.get<{ Params: { id: string } }>(`${base}/calls/:id`, { schema: { params: callParams } }, async (request, reply) => {
      const detail = await hub.detail(request.params.id)
      if (detail === undefined) throw new UnknownCallError(request.params.id)
      reply.header('cache-control', 'no-store')
      return detail
    })

    app.get(`${base}/stream`, async (request, reply) => {
      reply.hijack()
      await hub.open(reply.raw).catch((err) => {
        request.log.error({ err }, 'the live view stream could not start')
        reply.raw.end()
      })
    })

    app.get<{ Querystring: { call?: string } }>(`${base}/mermaid`, { schema: { querystring: mermaidQuery } }, async (request, reply) => {
      const { call } = request.query
      const view = call === undefined ? undefined : await registry.get(call)
      if (call !== undefined && view === undefined) throw new UnknownCallError(call)
      reply.type('text/plain; charset=utf-8')
      return toMermaid(flow, { highlight: view?.state as StateValue | undefined })
    })
  })
}
