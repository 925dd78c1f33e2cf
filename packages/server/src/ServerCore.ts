import type { ActorSystem } from '@hubbub/actor'
import type { Limits } from '@hubbub/protocol'
import type { OutgoingFrame, RoomBehaviour, RoomManager } from '@hubbub/rooms'
import type { AuthHook } from './auth/index.js'
import type { ConnectionRecord } from './ConnectionRecord.js'
import type { Logger } from './Logger.js'
import type { ServerMetrics } from './metrics/index.js'
import type { TopicBridge } from './TopicBridge.js'

/** A decoder of client frames (JSON or msgpack), as the protocol package builds them. */
export interface ClientDecoder {
  decodeClientFrame(
    data: string | Uint8Array,
    isBinary: boolean,
  ):
    | { ok: true; frame: { type: string } & Record<string, any> }
    | {
        ok: false
        error: { code: string; message: string; path?: (string | number)[]; close?: number; replyTo?: string }
      }
}

/** What connection actors need from their server; one per server instance (no module state). */
export interface ServerCore {
  readonly system: ActorSystem
  readonly rooms: RoomManager
  readonly bridge: TopicBridge
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly limits: Limits
  readonly auth: AuthHook | undefined
  readonly jsonDecoder: ClientDecoder
  readonly binaryDecoder: ClientDecoder | undefined
  /** Behaviours by custom client frame type (frames the built-in protocol does not have). */
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  encode(conn: ConnectionRecord, frame: OutgoingFrame): string | Uint8Array
  /** Connections by the name they show (anonymous names are set by their first join). */
  connectionsNamed(name: string): readonly ConnectionRecord[]
  /** Records the name a connection got at its first join. */
  named(conn: ConnectionRecord): void
  /** Closes the socket and cleans the connection up (idempotent). */
  closeConnection(conn: ConnectionRecord, code: number, reason: string): void
  /** The socket closed on its own. */
  connectionClosed(conn: ConnectionRecord): void
}
