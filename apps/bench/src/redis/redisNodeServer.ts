import { redisNode } from '@hubbub/redis'
import type { RunningServer, TransportName } from '../server/benchTransport.js'
import { startFullServer } from '../server/startFullServer.js'

/**
 * The whole Hubbub server as one node on Redis: `redisNode` (room log, bus, presence, registry)
 * under `prefix`, every node of a run on the same prefix, otherwise as the full-server bench runs it.
 */
export async function startRedisNode(
  transport: TransportName,
  redis: string,
  prefix: string,
  /** The room log's `maxPublishBatch` (default: the log's). */
  maxPublishBatch?: number,
): Promise<RunningServer> {
  const nodeId = `bench-${process.pid}`
  const node = redisNode({
    redis,
    prefix,
    nodeId,
    ...(maxPublishBatch === undefined ? {} : { maxPublishBatch }),
    onError: (err) => console.error('[redis bench node]', err),
  })
  const noop = () => {}
  // errors only (a join a node could not complete says why), on stderr
  const logger = {
    debug: noop,
    info: noop,
    warn: noop,
    error: (obj: object | string, msg?: string) => console.error('[redis bench node]', msg ?? '', obj),
  }
  const server = await startFullServer(transport, { ...node.server, nodeId, logger })
  return {
    port: server.port,
    async close() {
      await server.close()
      await node.close()
    },
  }
}
