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
