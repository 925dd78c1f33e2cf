import { createServer, type ServerOptions } from '@hubbub/server'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { onTestFinished } from 'vitest'

export type TransportFactory = NonNullable<ServerOptions['transport']>

/** One suite, every transport (as the server's own integration suite does). */
export const transports = [
  { name: 'ws', factory: wsTransport as TransportFactory },
  { name: 'uws', factory: uwsTransport as TransportFactory },
]

/** A real server on 127.0.0.1 (`port` 0: a free one), anonymous, closed when the test finishes. */
export async function startServer(factory: TransportFactory, options: Partial<ServerOptions> = {}, port = 0) {
  const server = createServer({
    transport: factory,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 0,
    ...options,
  } as ServerOptions)
  onTestFinished(() => server.close({ graceMs: 500 }))
  const listening = await server.listen({ port, host: '127.0.0.1' })
  return { server, port: listening.port, url: `ws://127.0.0.1:${listening.port}/ws` }
}
