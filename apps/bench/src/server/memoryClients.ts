import { BenchClient } from './BenchClient.js'

/**
 * Client side of the memory bench, in its own pinned process: `connections`
 * idle sockets, socket i in room `room-(i % rooms)`.
 * IPC in: setup {port, connections, rooms, mode} → ready {open}; exit.
 */
interface Setup {
  port: number
  connections: number
  rooms: number
  mode: 'bare' | 'raw' | 'full'
}

let clients: BenchClient[] = []

async function connectOne(msg: Setup, index: number): Promise<BenchClient> {
  const roomId = `room-${index % msg.rooms}`
  if (msg.mode === 'bare') return BenchClient.connect(msg.port)
  if (msg.mode === 'raw') {
    const client = await BenchClient.connect(msg.port)
    client.send(roomId)
    return client
  }
  const client = await BenchClient.connect(msg.port, { protocols: ['hubbub.v1.json'] })
  await client.next((m) => (m.type === 'welcome' ? true : undefined))
  const joined = client.next((m) => {
    if (m.type === 'joined') return true
    if (m.type === 'error') throw new Error(`join refused: ${JSON.stringify(m)}`)
    return undefined
  })
  client.send(JSON.stringify({ type: 'join', roomId, username: `u${index}` }))
  await joined
  return client
}

async function setup(msg: Setup): Promise<void> {
  for (let i = 0; i < msg.connections; i += 100) {
    const batch = Array.from({ length: Math.min(100, msg.connections - i) }, (_, k) => connectOne(msg, i + k))
    clients.push(...(await Promise.all(batch)))
  }
  // Let presence traffic drain before the server is measured.
  let last = -1
  for (;;) {
    const now = clients.reduce((sum, c) => sum + c.count, 0)
    if (now === last) break
    last = now
    await new Promise((r) => setTimeout(r, 500))
  }
  const open = clients.filter((c) => c.closeCode === undefined).length
  process.send?.({ type: 'ready', open })
}

process.on('message', (msg: { type: string } & Record<string, unknown>) => {
  if (msg.type === 'setup') {
    setup(msg as unknown as Setup).catch((err: unknown) =>
      process.send?.({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
    )
  } else if (msg.type === 'exit') {
    for (const client of clients) client.destroy()
    clients = []
    process.exit(0)
  }
})
