import { connect, type GapEvent } from '@hubbub/client'
import type { HistoryFrame, RoomMessageFrame } from '@hubbub/protocol'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterEach, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { fileStore } from '../src/index.js'
import { tempDir } from './tempDir.js'

const dirs: Array<{ remove(): void }> = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

/** A server on a free port, on a file store in `dir`. */
async function startServer(dir: string) {
  const store = fileStore({ dir, fsync: 'always' })
  const server = createServer({
    ...store.server,
    transport: wsTransport,
    auth: { anonymous: true },
    heartbeatMs: 0,
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.close({ graceMs: 500 })
    await store.close()
  }
  onTestFinished(stop)
  return { url: `ws://127.0.0.1:${port}/ws`, stop }
}

/** A client with a short backoff, closed when the test ends. */
function testClient(url: string, Socket: unknown = WebSocket) {
  const client = connect(url, {
    WebSocket: Socket as never,
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => client.close())
  return client
}

test('a client recovers by offset across a server restart on the same directory (same epoch, no gap)', async () => {
  const temp = tempDir('server')
  dirs.push(temp)
  const first = await startServer(temp.dir)

  // Ann's sockets go wherever `target` says: the restarted server listens on a new port.
  let target = first.url
  class Redirected extends WebSocket {
    constructor(_url: string, protocols?: string | string[]) {
      super(target, protocols)
    }
  }
  const annRoom = await testClient(first.url, Redirected).join('lobby', { username: 'ann' })
  const messages: RoomMessageFrame[] = []
  const gaps: GapEvent[] = []
  const histories: HistoryFrame[] = []
  annRoom.on('message', (m) => messages.push(m))
  annRoom.on('gap', (g) => gaps.push(g))
  annRoom.on('history', (h) => histories.push(h))

  const bob = await testClient(first.url).join('lobby', { username: 'bob' })
  for (let i = 1; i <= 5; i++) await bob.send(`before ${i}`)
  await expect.poll(() => messages.length, { timeout: 15_000 }).toBe(5)
  const epoch = annRoom.epoch
  expect(epoch).toBeTruthy()

  // Stop the server and close the store; Ann keeps retrying the old (closed) address meanwhile.
  await first.stop()
  const second = await startServer(temp.dir)
  const carol = await testClient(second.url).join('lobby', { username: 'carol' })
  const sent: RoomMessageFrame[] = []
  for (let i = 1; i <= 3; i++) sent.push(await carol.send(`after ${i}`))
  // The same epoch on the new server: offsets carry on from where the old one stopped.
  expect(carol.epoch).toBe(epoch)
  expect(sent.map((m) => m.offset)).toEqual([6, 7, 8])

  // Now Ann reaches the new server, rejoins with since { offset: 5 } and recovers 6..8.
  target = second.url
  await expect.poll(() => messages.length, { timeout: 15_000 }).toBe(8)
  expect(messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  expect(messages.map((m) => m.text).slice(5)).toEqual(['after 1', 'after 2', 'after 3'])
  expect(histories.map((h) => h.recovered)).toEqual([true])
  expect(histories[0]?.messages.map((m) => m.offset)).toEqual([6, 7, 8])
  expect(gaps).toEqual([])
  expect(annRoom.epoch).toBe(epoch)
})
