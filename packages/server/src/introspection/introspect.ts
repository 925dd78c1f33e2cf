import type { ActorSystem } from '@hubbub/actor'
import type { RoomManager } from '@hubbub/rooms'
import type { ConnectionDirectory } from '../ConnectionDirectory.js'
import type { ConnectionRecord } from '../ConnectionRecord.js'
import type { RoomRates } from './RoomRates.js'
import type { ConnectionFigures, IntrospectOptions, RoomFigures, ServerSnapshot } from './ServerSnapshot.js'

/** What a server hands `introspect`: read-only views of its parts. */
export interface IntrospectSource {
  readonly nodeId: string
  readonly startedAt: number
  readonly system: ActorSystem
  readonly rooms: RoomManager | undefined
  readonly directory: ConnectionDirectory
  readonly rates: RoomRates
  /** The `limit` of the history read (the server's `historySize`). */
  readonly historySize: number
  /** Per-user rate-limit entries kept (`UserRateLimits.size`). */
  readonly userRateLimits: number
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'

/** How many frames the log keeps for a room (at most `limit`); undefined when the read fails. */
async function historyOf(manager: RoomManager, roomId: string, limit: number): Promise<number | undefined> {
  try {
    const reading = manager.env.log.read(roomId, { limit: Math.max(1, limit) })
    const read = isThenable(reading) ? await reading : reading
    return read.messages.length
  } catch {
    return undefined
  }
}

/**
 * The kept history size of each of `roomIds` (one log read per room, run together); a room not
 * running here, or whose read failed, maps to undefined.
 */
export async function readHistory(
  src: Pick<IntrospectSource, 'rooms' | 'historySize'>,
  roomIds: Iterable<string>,
): Promise<Map<string, number | undefined>> {
  const manager = src.rooms
  const out = new Map<string, number | undefined>()
  const reads: Promise<void>[] = []
  for (const id of roomIds) {
    if (out.has(id)) continue
    out.set(id, undefined)
    if (manager === undefined || manager.env.local.get(id) === undefined) continue
    reads.push(
      historyOf(manager, id, src.historySize).then((n) => {
        out.set(id, n)
      }),
    )
  }
  await Promise.all(reads)
  return out
}

function connectionFigures(conn: ConnectionRecord): ConnectionFigures {
  // Transport connections say how much they hold; a plain SocketLike (tests, sendFn wrappers) does not.
  const socket = conn.socket as { bufferedAmount?: unknown; droppedCount?: unknown }
  return {
    id: conn.id,
    userId: conn.identity?.userId,
    name: conn.name,
    remoteAddress: conn.remoteAddress,
    binary: conn.binary,
    rooms: conn.rooms(),
    bufferedBytes: typeof socket.bufferedAmount === 'number' ? socket.bufferedAmount : 0,
    dropped: typeof socket.droppedCount === 'number' ? socket.droppedCount : 0,
    framesIn: conn.framesIn,
    framesOut: conn.framesOut,
    rateLimited: conn.rateLimited,
  }
}

/** Builds a `ServerSnapshot`: everything is read now, from counters kept on the existing paths. */
export async function introspect(
  src: IntrospectSource,
  options: IntrospectOptions = {},
): Promise<ServerSnapshot> {
  const manager = src.rooms
  const rooms: RoomFigures[] = []
  const reads: Promise<void>[] = []
  if (manager !== undefined) {
    const local = manager.env.local
    src.rates.prune((id) => local.has(id))
    for (const [id, s] of local) {
      // An undefined entry is a room being started (or restarted after a crash): no figures yet.
      if (s === undefined) continue
      const { perSecond, total } = src.rates.read(id)
      const figures = {
        id,
        connections: s.members.size,
        users: s.users,
        offset: s.offset,
        history: undefined as number | undefined,
        messagesPerSecond: perSecond,
        messagesTotal: total,
      }
      rooms.push(figures)
      if (options.history !== false) {
        reads.push(
          historyOf(manager, id, src.historySize).then((n) => {
            figures.history = n
          }),
        )
      }
    }
  }
  const connections = Array.from(src.directory.local(), connectionFigures)
  const actors = src.system.snapshot()
  await Promise.all(reads)
  const at = Date.now()
  const userRateLimits = src.userRateLimits
  return { nodeId: src.nodeId, at, uptimeMs: at - src.startedAt, rooms, connections, userRateLimits, actors }
}
