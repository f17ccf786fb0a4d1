import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { AnyStateMachine } from 'xstate'
import { callView, type CallTurn, type Logger, type SessionRegistry, type ToolCallNews } from '../sessions'
import type { LiveBoard } from '../stores/store'
import { toMermaid } from '../tools/mermaid'
import { callDetail, type CallDetail } from './call-detail'
import { liveCall, type LiveCall } from './live-call'
import { Transcripts, toolLine, turnLines, type TranscriptLine } from './transcript'

/** A shared line's text is cut at this length: the board keeps a bounded amount per call. */
export const SHARED_LINE_CHARACTERS = 2000
/** Calls whose latest revision a hub remembers, to keep a call's changes in order: the most recent. */
export const REVISIONS_KEPT = 10_000
/** Tool lines kept per call between two turns, to be shared with the next: the latest. */
export const TOOLS_KEPT = 50

/** What a hub tells the others through the board; a call's view comes with its record's revision. */
type Said = { id: string } & ({ call: LiveCall, revision: number } | { turn: number } | { ended: true })
type BoardMessage = Said & { from: string }

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
  /**
   * With a store that several instances share: the board through which this
   * hub shows the calls every instance serves, and tells the others of
   * those served here. Without it, a hub shows the calls held here.
   */
  board?: LiveBoard
  /** How long the board keeps a call after its last change, in ms: the calls' ttl. */
  ttl?: number
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
  readonly #unlisten: () => void
  readonly #unwatchTools: () => void
  readonly #keepAlive: NodeJS.Timeout
  /** Tells this hub's messages from the others' on the board. */
  readonly #instance = randomUUID()
  /** The latest revision sent of each call, so that a change heard late from the board is not shown over a later one. */
  readonly #revisions = new Revisions(REVISIONS_KEPT)
  /** With a board: the lines of tools run since each call's last turn, shared with its next. */
  readonly #tools = new Map<string, TranscriptLine[]>()
  /** With a board: the place of the last line this instance shared for each call held here. */
  readonly #shared = new Map<string, number>()
  #tail: Promise<void> = Promise.resolve()
  /** Set by `close()`: a stream still opening then is ended, not kept. */
  #closed = false

  constructor (options: LiveHubOptions) {
    this.#options = options
    this.flow = { id: options.flow.id, mermaid: toMermaid(options.flow) }
    this.#unwatch = options.registry.watch((id, ended) => { this.#changed(id, ended) })
    this.#unobserve = options.registry.observe((turn) => { this.#heard(turn) })
    this.#unlisten = options.board?.listen((message) => { this.#received(message) }) ?? (() => {})
    this.#unwatchTools = options.registry.watchTools?.((id, tool) => { this.#toolRan(id, tool) }) ?? (() => {})
    this.#keepAlive = setInterval(() => { this.#broadcast(': keep-alive\n\n') }, options.keepAlive).unref()
  }

  /** Entries of its per-call maps (transcripts, tools waiting for a turn, places of shared lines): none once no call is held. */
  get perCall (): number {
    return this.#transcripts.size + this.#tools.size + this.#shared.size
  }

  /** The most recently active calls, as a page's first list. */
  async calls (): Promise<LiveCalls> {
    const ids = this.#options.registry.ids()
    const views = await Promise.all(ids.slice(-this.#options.limit).reverse().map((id) => this.#options.registry.get(id)))
    // With a shared store a call is read from the store, which may have let it go since.
    const calls = views.flatMap((view) => view === undefined ? [] : [liveCall(view, this.#options.flow)])
    const { board, limit } = this.#options
    if (board === undefined) return { calls, total: ids.length }
    // Then the calls the other instances serve, as the board keeps them.
    const ours = new Set(ids)
    for (const text of await board.views(limit)) {
      const view = parse<{ call: LiveCall }>(text)
      if (view === undefined || ours.has(view.call.id)) continue
      ours.add(view.call.id)
      if (calls.length < limit) calls.push(view.call)
    }
    calls.sort((a, b) => b.lastEventAt - a.lastEventAt)
    return { calls, total: ours.size }
  }

  /** What the inspector shows of one call, or undefined for a call that is not (or no longer) held. */
  async detail (id: string): Promise<CallDetail | undefined> {
    const record = await this.#options.registry.record(id)
    if (record === undefined) return undefined
    return callDetail(id, record, await this.#transcript(id), this.#options.flow)
  }

  /** The call's lines: from the board, where every instance that served the call added its own; else those heard here. */
  async #transcript (id: string): Promise<TranscriptLine[]> {
    const { board } = this.#options
    if (board === undefined) return this.#transcripts.of(id)
    try {
      return (await board.lines(id)).flatMap((text) => parse<TranscriptLine>(text) ?? [])
    } catch (err) {
      this.#options.log.warn({ err, sessionId: id }, 'the live view could not read the shared transcript: showing what this instance heard')
      return this.#transcripts.of(id)
    }
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
    this.#unlisten()
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
    const { board } = this.#options
    if (board !== undefined) {
      // Ordered by when the event arrived, then by place in the turn, so that lines from every instance fall in the
      // call's order: the event, the tools its work ran while the reply waited (as the transcript here), the reply.
      const tools = this.#tools.get(id) ?? []
      this.#tools.delete(id)
      const [heard, ...reply] = turnLines(turn)
      const during = tools.filter((line) => line.at >= turn.at)
      // Each line after the last one this instance shared for the call, though two turns came in the same millisecond.
      let last = this.#shared.get(id) ?? -1
      const lines = [
        // A tool that ran before the event (for work that went on after its reply) comes after that reply.
        ...tools.filter((line) => line.at < turn.at).map((line) => ({ order: line.at * 1000 + 999, line })),
        ...[heard, ...during, ...reply].slice(0, 999).map((line, i) => ({ order: turn.at * 1000 + i, line }))
      ].map(({ order, line }) => ({ order: (last = Math.max(order, last + 1)), text: JSON.stringify(cut(line)) }))
      this.#shared.set(id, last)
      this.#share(id, board.put(id, { lines }, this.#ttl, this.#say({ id, turn: turn.at })))
    }
    this.#tail = this.#tail.then(() => { this.#broadcast(message('turn', { id, at: turn.at })) })
  }

  /** A function tool ran: its line joins the call's transcript, and pages that show the call read it again. */
  #toolRan (id: string, tool: ToolCallNews): void {
    this.#transcripts.addTool(id, tool)
    const { board } = this.#options
    // Shared with the turn whose reply waited for it, in its place; at most a few per turn.
    if (board !== undefined) this.#tools.set(id, [...(this.#tools.get(id) ?? []), toolLine(tool)].slice(-TOOLS_KEPT))
    this.#tail = this.#tail.then(() => { this.#broadcast(message('turn', { id, at: tool.at })) })
  }

  #changed (id: string, ended: boolean): void {
    const { board } = this.#options
    if (ended) {
      this.#transcripts.forget(id)
      this.#revisions.delete(id)
      this.#tools.delete(id)
      this.#shared.delete(id)
      if (board !== undefined) this.#share(id, board.end(id, this.#say({ id, ended: true })))
    }
    this.#tail = this.#tail.then(async () => {
      if (this.#clients.size === 0 && board === undefined) return
      const record = ended ? undefined : await this.#options.registry.record(id)
      // A call that is gone by now has ended, whatever the report said.
      if (record === undefined) return this.#broadcast(message('ended', { id }))
      const call = liveCall(callView(record, id), this.#options.flow)
      const { revision } = record
      if (board !== undefined) {
        const text = JSON.stringify({ call, revision })
        this.#share(id, board.put(id, { view: { text, revision } }, this.#ttl, this.#say({ id, call, revision })))
      }
      if (this.#revisions.later(id, revision)) this.#broadcast(message('call', call))
    }).catch((err) => { this.#options.log.warn({ err, sessionId: id }, 'the live view could not send a call change') })
  }

  /** What another instance told of a call it serves, sent on in turn with this hub's own changes. */
  #received (text: string): void {
    const said = parse<BoardMessage>(text)
    if (said === undefined || said.from === this.#instance) return
    const { id } = said
    this.#tail = this.#tail.then(() => {
      if ('ended' in said) {
        this.#revisions.delete(id)
        this.#broadcast(message('ended', { id }))
      } else if ('turn' in said) {
        this.#broadcast(message('turn', { id, at: said.turn }))
      } else if (this.#revisions.later(id, said.revision)) {
        this.#broadcast(message('call', said.call))
      }
    })
  }

  get #ttl (): number {
    return this.#options.ttl as number
  }

  #say (said: Said): string {
    return JSON.stringify({ from: this.#instance, ...said })
  }

  /** Never waited for: a board that fails costs the other instances' pages this change, not a reply. */
  #share (id: string, written: Promise<void>): void {
    written.catch((err) => { this.#options.log.warn({ err, sessionId: id }, 'the live view could not share a call change') })
  }

  #broadcast (text: string): void {
    for (const response of this.#clients) response.write(text)
  }
}

/** The latest revision seen of each call, for the `kept` most recently changed calls. */
export class Revisions {
  readonly #seen = new Map<string, number>()
  readonly #kept: number

  constructor (kept: number) {
    this.#kept = kept
  }

  /** Whether `revision` is the call's latest seen, which it then is: a change heard late is not sent over a later one. */
  later (id: string, revision: number): boolean {
    const seen = this.#seen.get(id)
    if (seen !== undefined && seen > revision) return false
    this.#seen.delete(id)
    this.#seen.set(id, revision)
    if (this.#seen.size > this.#kept) this.#seen.delete(this.#seen.keys().next().value as string)
    return true
  }

  delete (id: string): void {
    this.#seen.delete(id)
  }

  get size (): number {
    return this.#seen.size
  }
}

/** Text from the board, which other processes wrote: what is not JSON is left out. */
function parse<T> (text: string): T | undefined {
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

/** A line as the board keeps it: its text cut, so that one long utterance does not fill the board. */
function cut (line: TranscriptLine): TranscriptLine {
  return line.text.length > SHARED_LINE_CHARACTERS ? { ...line, text: `${line.text.slice(0, SHARED_LINE_CHARACTERS)}…` } : line
}

function message (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}
