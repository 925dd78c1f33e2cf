import type { EventBus } from '@hubbub/bus'
import { CloseCode } from '@hubbub/protocol'
import type { OutgoingFrame } from '@hubbub/rooms'
import type { Transport } from '@hubbub/transport'
import type { ConnectionCore } from './ConnectionCore.js'
import type { ServerMetrics } from './metrics/index.js'

/** What a server's drain stops, in order. */
export interface DrainSteps {
  /**
   * The system, logger, bridge, connections (its directory), room manager and
   * connection supervisor; the drain waits for its `ready` (failed or not) first.
   */
  readonly core: ConnectionCore
  readonly transport: Transport<any> | undefined
  /** The bus when the server made it (then it closes it). */
  readonly ownBus: EventBus<string | Uint8Array> | undefined
  /** The metrics when the server made them (then it closes them). */
  readonly ownMetrics: ServerMetrics | undefined
  readonly nodeId: string
}

/**
 * Graceful drain: send `SERVER_SHUTDOWN` then close every socket with 1001, stop
 * the transport, then the room supervisor, then the connection supervisor and the
 * actor system. Resolves within `graceMs` even if something hangs.
 */
export async function drain(s: DrainSteps, graceMs: number): Promise<void> {
  const core = s.core
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())
  const work = (async () => {
    await core.ready.catch(() => {})
    const shutdown: OutgoingFrame = {
      type: 'error',
      code: 'SERVER_SHUTDOWN',
      message: 'server is shutting down',
    }
    for (const conn of [...core.directory.local()]) {
      conn.send(core.encode(conn, shutdown))
      core.closeConnection(conn, CloseCode.GOING_AWAY, 'server shutting down')
    }
    if (s.transport !== undefined) {
      await s.transport.close({ graceMs: Math.max(0, graceMs - 100) }).catch((err: unknown) => {
        core.logger.warn({ err }, 'transport close failed')
      })
    }
    await core.roomManager?.stop().catch(() => {})
    const connectionSupervisor = core.connectionSupervisor
    if (connectionSupervisor && core.system.isAlive(connectionSupervisor)) {
      await core.system.stop(connectionSupervisor, 'shutdown').catch(() => {})
    }
    await core.system.shutdown({ timeout: Math.max(0, graceMs - 100) }).catch(() => {})
  })()
  await Promise.race([work.catch((err: unknown) => core.logger.error({ err }, 'drain failed')), deadline])
  core.bridge.closeAll()
  if (s.ownBus) await s.ownBus.close().catch(() => {})
  s.ownMetrics?.close()
  core.logger.info({ nodeId: s.nodeId }, 'closed')
}
