import { connect, createServer, type Socket } from 'node:net'
import { onTestFinished } from 'vitest'

/**
 * A TCP proxy on a free loopback port in front of `host:port`, for cutting a node off Redis
 * without touching Redis itself: `cut()` drops every proxied connection and refuses new ones
 * (accepted, then closed at once) until `restore()`. Closed when the test ends.
 */
export async function faultProxy(host: string, port: number) {
  const sockets = new Set<Socket>()
  let open = true
  const server = createServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = connect(port, host)
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a)
      a.pipe(b)
      a.on('error', () => b.destroy())
      a.on('close', () => {
        sockets.delete(a)
        b.destroy()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const local = (server.address() as { port: number }).port
  const close = async (): Promise<void> => {
    open = false
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
  onTestFinished(close)
  return {
    port: local,
    url: `redis://127.0.0.1:${local}`,
    /** Drops every connection through the proxy, and refuses new ones until `restore()`. */
    cut(): void {
      open = false
      for (const s of sockets) s.destroy()
    },
    restore(): void {
      open = true
    },
    close,
  }
}
