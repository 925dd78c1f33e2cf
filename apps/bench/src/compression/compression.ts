import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'

/**
 * permessage-deflate on the fan-out path: `pnpm --filter @hubbub/bench bench:compression`.
 * For each transport, with `perMessageDeflate` off and on: SUBSCRIBERS `ws` clients
 * (which offer permessage-deflate) on one topic, PUBLISHES messages of a ~1.3 KB chat
 * frame (each with its own offset and rotated text), through `publish` (one call per message, the room path) and through `send`
 * to each connection (the per-recipient path). Prints the server's CPU per 1,000
 * deliveries (server pinned to CPU 0, clients to this process) and the bytes on the
 * wire per delivery, read from the client sockets. Env: SUBSCRIBERS (200), PUBLISHES (300),
 * TRANSPORTS (ws,uws), ROUNDS (3; each row keeps its cheapest round).
 */
const subscribers = Number(process.env.SUBSCRIBERS ?? 200)
const publishes = Number(process.env.PUBLISHES ?? 300)
const rounds = Number(process.env.ROUNDS ?? 3)
const transports = (process.env.TRANSPORTS ?? 'ws,uws').split(',') as TransportName[]
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

const text =
  'Meeting notes: the release train leaves on Thursday; the search team ships the new ranking behind a flag, ' +
  'the mobile team fixes the login crash first, and everyone reviews the on-call rota before Friday. '
const message = JSON.stringify({
  type: 'message',
  roomId: 'general',
  from: 'alice',
  text: text.repeat(6).slice(0, 1200),
  timestamp: 1_763_860_000_000,
  offset: 1,
})

interface Row {
  transport: TransportName
  deflate: 'off' | 'on'
  path: 'publish' | 'send'
  negotiated: boolean
  cpuMsPer1kDeliveries: number
  wireBytesPerDelivery: number
}

async function measure(name: TransportName, deflate: 'off' | 'on'): Promise<Row[]> {
  const server = new PinnedChild(0, here('./compressionServer.ts'), [name, deflate])
  const { port } = await server.next<{ port: number }>('listening')
  const clients: WebSocket[] = []
  let received = 0
  for (let i = 0; i < subscribers; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: true })
    ws.on('message', () => {
      received++
    })
    await new Promise((r, j) => ws.once('open', r).once('error', j))
    clients.push(ws)
  }
  const negotiated = clients.every((c) => c.extensions.includes('permessage-deflate'))
  const wire = () =>
    clients.reduce(
      (n, c) => n + ((c as unknown as { _socket: { bytesRead: number } })._socket.bytesRead ?? 0),
      0,
    )
  const rows: Row[] = []
  for (const path of ['publish', 'send'] as const) {
    let best: Row | undefined
    for (let r = 0; r < rounds; r++) {
      const target = received + publishes * subscribers
      const bytesBefore = wire()
      await server.request({ type: path === 'publish' ? 'run' : 'send', publishes, message }, 'started')
      // the clients read everything (their inflating is theirs, on this process's core)
      while (received < target) await new Promise((res) => setTimeout(res, 5))
      const { cpuMs } = await server.request<{ cpuMs: number }>({ type: 'cpu' }, 'cpu')
      const deliveries = publishes * subscribers
      const row: Row = {
        transport: name,
        deflate,
        path,
        negotiated,
        cpuMsPer1kDeliveries: +((cpuMs / deliveries) * 1000).toFixed(2),
        wireBytesPerDelivery: Math.round((wire() - bytesBefore) / deliveries),
      }
      if (!best || row.cpuMsPer1kDeliveries < best.cpuMsPer1kDeliveries) best = row
    }
    rows.push(best as Row)
  }
  for (const c of clients) c.terminate()
  await server.stop()
  return rows
}

const rows: Row[] = []
for (const t of transports) for (const d of ['off', 'on'] as const) rows.push(...(await measure(t, d)))
console.log(
  `message ${Buffer.byteLength(message)} bytes, ${subscribers} subscribers × ${publishes} messages, best of ${rounds}`,
)
console.log(
  '| transport | deflate | path | negotiated | server CPU ms / 1k deliveries | bytes on wire / delivery |',
)
console.log('| --- | --- | --- | --- | ---: | ---: |')
for (const r of rows)
  console.log(
    `| ${r.transport} | ${r.deflate} | ${r.path} | ${r.negotiated} | ${r.cpuMsPer1kDeliveries} | ${r.wireBytesPerDelivery} |`,
  )
console.log(JSON.stringify(rows))
