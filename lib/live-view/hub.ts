import type { ServerResponse } from 'node:http'
import type { AnyStateMachine } from 'xstate'
import type { CallTurn, Logger, SessionRegistry, ToolCallNews } from '../sessions'
import { toMermaid } from '../tools/mermaid'
import { callDetail, type CallDetail } from './call-detail'
import { liveCall, type LiveCall } from './live-call'
import { Transcripts } from './transcript'

/** What the hub reads of the registry. */
export type LiveSource = Pick<SessionRegistry, 'ids' | 'get' | 'record' | 'watch' | 'observe'> & Partial<Pick<SessionRegistry, 'watchTools'>>

/** The flow as a page first draws it. */
export interface LiveFlow {
  id: string
  /** Its Mermaid diagram, nothing highlighted. */
  mermaid: string
}

export interface LiveHubOptions {
  registry: LiveSource
  flow: AnyStateMachine
  log: Logger
  /** At most this many calls, the most recently active, in a page's first list. */
  limit: number
  /** A comment line is sent this often, so that proxies keep idle streams open, in ms. */
  keepAlive: number
}

/** The calls a page starts with. */
export interface LiveCalls {
  calls: LiveCall[]
  /** Calls held, of which `calls` are the most recently active. */
  total: number
}

/**
 * Fans call changes out to the pages that watch, as Server-Sent Events:
 * `flow` and `calls` when a page connects, then `call` for each change,
 * `turn` for each event answered (its transcript grew) and `ended` for each
 * call that ended. Changes are sent in the order the registry reported
 * them, one at a time, so an ended call never comes back.
 */
export class LiveHub {
  readonly flow: LiveFlow
  readonly #options: LiveHubOptions
  readonly #clients = new Set<ServerResponse>()
  readonly #transcripts = new Transcripts()
  readonly #unwatch: () => void
  readonly #unobserve: () => void
  readonly #unwatchTools: () => void
  readonly #keepAlive: NodeJS.Timeout
  #tail: Promise<void> = Promise.resolve()
  /** Set by `close()`: a stream still opening then is ended, not kept. */
  #closed = false

  constructor (options: LiveHubOptions) {
    this.#options = options
    this.flow = { id: options.flow.id, mermaid: toMermaid(options.flow) }
    this.#unwatch = options.registry.watch((id, ended) => { this.#changed(id, ended) })
    this.#unobserve = options.registry.observe((turn) => { this.#heard(turn) })
    this.#unwatchTools = options.registry.watchTools?.((id, tool) => { this.#toolRan(id, tool) }) ?? (() => {})
    this.#keepAlive = setInterval(() => { this.#broadcast(': keep-alive\n\n') }, options.keepAlive).unref()
  }

  /** Calls with a transcript here. */
  get heard (): number {
    return this.#transcripts.size
  }

  /** The most recently active calls, as a page's first list. */
  async calls (): Promise<LiveCalls> {
    const ids = this.#options.registry.ids()
    const views = await Promise.all(ids.slice(-this.#options.limit).reverse().map((id) => this.#options.registry.get(id)))
    // With a shared store a call is read from the store, which may have let it go since.
    const calls = views.flatMap((view) => view === undefined ? [] : [liveCall(view, this.#options.flow)])
    return { calls, total: ids.length }
  }

  /** What the inspector shows of one call, or undefined for a call that is not (or no longer) held. */
  async detail (id: string): Promise<CallDetail | undefined> {
    const record = await this.#options.registry.record(id)
    return record === undefined ? undefined : callDetail(id, record, this.#transcripts.of(id), this.#options.flow)
  }

  /** Starts an event stream on `response`, which the caller has taken over from Fastify. */
  async open (response: ServerResponse): Promise<void> {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no'
    })
    if (this.#closed) {
      response.end()
      return
    }
    response.on('close', () => { this.#clients.delete(response) })
    response.write(message('flow', this.flow))
    // Joins the queue, so that no change reported before the list is sent after it.
    const joined = this.#tail.then(async () => {
      const calls = await this.calls()
      if (response.destroyed) return
      // The server is closing, and waits for this stream: it has had every other stream ended.
      if (this.#closed) {
        response.end()
        return
      }
      response.write(message('calls', calls))
      this.#clients.add(response)
    })
    this.#tail = joined.catch(() => {})
    await joined
  }

  /** Ends every stream and stops watching. */
  close (): void {
    this.#closed = true
    this.#unwatch()
    this.#unobserve()
    this.#unwatchTools()
    clearInterval(this.#keepAlive)
    for (const response of this.#clients) response.end()
    this.#clients.clear()
  }

  /** A turn comes after its change was reported: pages that show the call read it again. */
  #heard (turn: CallTurn): void {
    this.#transcripts.add(turn)
    const id = turn.event.session.id
    if (turn.event.type === 'session_end') return
    this.#tail = this.#tail.then(() => { this.#broadcast(message('turn', { id, at: turn.at })) })
  }

  /** A function tool ran: its line joins the call's transcript, and pages that show the call read it again. */
  #toolRan (id: string, tool: ToolCallNews): void {
    this.#transcripts.addTool(id, tool)
    this.#tail = this.#tail.then(() => { this.#broadcast(message('turn', { id, at: tool.at })) })
  }

  #changed (id: string, ended: boolean): void {
    if (ended) this.#transcripts.forget(id)
    this.#tail = this.#tail.then(async () => {
      if (this.#clients.size === 0) return
      const view = ended ? undefined : await this.#options.registry.get(id)
      // A call that is gone by now has ended, whatever the report said.
      this.#broadcast(view === undefined ? message('ended', { id }) : message('call', liveCall(view, this.#options.flow)))
    }).catch((err) => { this.#options.log.warn({ err, sessionId: id }, 'the live view could not send a call change') })
  }

  #broadcast (text: string): void {
    for (const response of this.#clients) response.write(text)
  }
}

function message (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}
