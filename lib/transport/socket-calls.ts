/**
 * Which socket carried each call's latest event, for every socket of the
 * transport: the socket a call's later actions go to, and the one that lets
 * go of it when it closes. A call leaves its socket when it ends, wherever
 * it ended (over HTTP, on another socket, by expiry), or when another socket
 * carries it; a long-lived socket holds only the calls it serves.
 */
export class SocketCalls<Socket> {
  readonly #socketOf = new Map<string, Socket>()
  readonly #callsOf = new Map<Socket, Set<string>>()

  /** An event of the call came on `socket`. */
  carried (id: string, socket: Socket): void {
    const before = this.#socketOf.get(id)
    if (before === socket) return
    if (before !== undefined) this.#leave(id, before)
    this.#socketOf.set(id, socket)
    let calls = this.#callsOf.get(socket)
    if (calls === undefined) this.#callsOf.set(socket, calls = new Set())
    calls.add(id)
  }

  /** The call ended. */
  ended (id: string): void {
    const socket = this.#socketOf.get(id)
    if (socket !== undefined) this.#leave(id, socket)
  }

  /** How many calls the socket carries. */
  count (socket: Socket): number {
    return this.#callsOf.get(socket)?.size ?? 0
  }

  /** Entries of its two maps (calls by socket, sockets by call): 0 once no socket carries a call. */
  get size (): number {
    return this.#socketOf.size + this.#callsOf.size
  }

  /** The socket closed: the calls it carried, which no socket carries now. */
  closed (socket: Socket): string[] {
    const calls = this.#callsOf.get(socket)
    if (calls === undefined) return []
    this.#callsOf.delete(socket)
    for (const id of calls) this.#socketOf.delete(id)
    return [...calls]
  }

  #leave (id: string, socket: Socket): void {
    this.#socketOf.delete(id)
    const calls = this.#callsOf.get(socket) as Set<string>
    calls.delete(id)
    if (calls.size === 0) this.#callsOf.delete(socket)
  }
}

/**
 * The calls of a transport's sockets, each let go wherever it ends: the
 * registry tells of every end (over HTTP, on another socket, by expiry, on
 * another instance). Returns them, and what stops watching.
 */
export function watchedSocketCalls<Socket> (registry: { watch: (watcher: (id: string, ended: boolean) => void) => () => void }): { calls: SocketCalls<Socket>, unwatch: () => void } {
  const calls = new SocketCalls<Socket>()
  const unwatch = registry.watch((id, ended) => { if (ended) calls.ended(id) })
  return { calls, unwatch }
}
