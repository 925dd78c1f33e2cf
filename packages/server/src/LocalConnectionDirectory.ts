import { CloseCode, encodeServerFrame } from '@hubbub/protocol'
import type { OutgoingFrame } from '@hubbub/rooms'
import type { ConnectionDirectory } from './ConnectionDirectory.js'
import type { ConnectionRecord, ConnectionView } from './ConnectionRecord.js'
import type { BroadcastFilter } from './http/index.js'

export interface LocalConnectionDirectoryOptions {
  /** The msgpack encoder, when the server speaks msgpack (binary connections get its bytes). */
  encodeBinary?: ((frame: OutgoingFrame) => Uint8Array) | undefined
}

/**
 * The in-process `ConnectionDirectory`: two maps (id → connection, name →
 * connections) and the operations over them, all synchronous. A frame sent to
 * several connections is encoded once per encoding (JSON, msgpack), not per recipient.
 * Closing goes through the connection's own core (`conn.core.closeConnection`),
 * which ends in `remove`.
 */
export class LocalConnectionDirectory implements ConnectionDirectory {
  readonly #connections = new Map<string, ConnectionRecord>()
  /** name → connection(s); a single record in the common case, to keep idle connections small. */
  readonly #names = new Map<string, ConnectionRecord | ConnectionRecord[]>()
  readonly #encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined

  constructor(options: LocalConnectionDirectoryOptions) {
    this.#encodeBinary = options.encodeBinary
  }

  get size(): number {
    return this.#connections.size
  }

  add(conn: ConnectionRecord): void {
    this.#connections.set(conn.id, conn)
    this.named(conn)
  }

  named(conn: ConnectionRecord): void {
    const name = conn.name
    if (name === '') return
    const v = this.#names.get(name)
    if (v === undefined) this.#names.set(name, conn)
    else if (Array.isArray(v)) {
      if (!v.includes(conn)) v.push(conn)
    } else if (v !== conn) this.#names.set(name, [v, conn])
  }

  isNamed(conn: ConnectionRecord): boolean {
    const v = this.#names.get(conn.name)
    return v === conn || (Array.isArray(v) && v.includes(conn))
  }

  /** This node's connections named `name` (identity name, or an anonymous name set by a join). */
  connectionsNamed(name: string): readonly ConnectionRecord[] {
    const v = this.#names.get(name)
    return v === undefined ? [] : Array.isArray(v) ? v : [v]
  }

  remove(conn: ConnectionRecord): boolean {
    if (!this.#connections.delete(conn.id)) return false
    this.#unname(conn)
    return true
  }

  #unname(conn: ConnectionRecord): void {
    const v = this.#names.get(conn.name)
    if (v === undefined) return
    if (v === conn) this.#names.delete(conn.name)
    else if (Array.isArray(v)) {
      const rest = v.filter((c) => c !== conn)
      if (rest.length === 0) this.#names.delete(conn.name)
      else this.#names.set(conn.name, rest.length === 1 ? rest[0]! : rest)
    }
  }

  connection(id: string): ConnectionRecord | undefined {
    return this.#connections.get(id)
  }

  local(): IterableIterator<ConnectionRecord> {
    return this.#connections.values()
  }

  sendToUser(userId: string, payload: Record<string, unknown>): number {
    return this.#sendEach(this.#connections.values(), (c) => c.identity?.userId === userId, payload)
  }

  disconnectUser(
    userId: string,
    code: number = CloseCode.NORMAL,
    reason = 'disconnected by the server',
  ): number {
    let n = 0
    for (const conn of [...this.#connections.values()]) {
      if (conn.identity?.userId !== userId) continue
      conn.core.closeConnection(conn, code, reason)
      n++
    }
    return n
  }

  broadcastWhere(
    filter: BroadcastFilter | ((conn: ConnectionView) => boolean),
    payload: Record<string, unknown>,
  ): number {
    const match =
      typeof filter === 'function'
        ? filter
        : (c: ConnectionView) =>
            (filter.userId === undefined || c.identity?.userId === filter.userId) &&
            (filter.orgId === undefined || c.identity?.orgId === filter.orgId)
    return this.#sendEach(this.#connections.values(), match, payload)
  }

  sendPrivate(from: ConnectionRecord, to: string, frame: Record<string, unknown>): number {
    return this.sendNamed(to, frame, from)
  }

  /** Sends `frame` to this node's open connections named `to`, but `except`; answers how many are named `to`. */
  sendNamed(to: string, frame: Record<string, unknown>, except?: ConnectionRecord): number {
    const recipients = this.connectionsNamed(to)
    if (recipients.length > 0) this.#sendEach(recipients, (r) => r !== except && !r.isClosed, frame)
    return recipients.length
  }

  disconnect(id: string, code: number = CloseCode.NORMAL, reason = 'disconnected by the server'): boolean {
    const conn = this.#connections.get(id)
    if (conn === undefined) return false
    conn.core.closeConnection(conn, code, reason)
    return true
  }

  terminate(id: string): boolean {
    const conn = this.#connections.get(id)
    if (conn === undefined) return false
    // Closed on our side first: the server ended it, so its rooms announce it at once (no presence grace).
    conn.core.connectionClosed(conn)
    if (conn.socket.terminate) conn.socket.terminate()
    else conn.socket.close(CloseCode.GOING_AWAY, 'terminated by the server')
    return true
  }

  #sendEach(
    conns: Iterable<ConnectionRecord>,
    match: (c: ConnectionRecord) => boolean,
    payload: Record<string, unknown>,
  ): number {
    const frame = payload as OutgoingFrame
    let json: string | undefined
    let bin: Uint8Array | undefined
    let n = 0
    for (const conn of conns) {
      if (!match(conn)) continue
      if (conn.binary && this.#encodeBinary) {
        if (bin === undefined) bin = this.#encodeBinary(frame)
        conn.send(bin)
      } else {
        if (json === undefined) json = encodeServerFrame(frame)
        conn.send(json)
      }
      n++
    }
    return n
  }
}
