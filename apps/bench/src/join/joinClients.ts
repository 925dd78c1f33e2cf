import { BenchClient } from '../server/BenchClient.js'

/**
 * Client side of the join bench, in its own pinned process: opens `connections` sockets, at most
 * `inFlight` at a time, each joining room `room-(i % rooms)` and waiting for the answer, and
 * reports how long the whole run took. The same lean raw-TCP client for every server, so the
 * difference between rows is the server's.
 * IPC in: run {port, connections, rooms, inFlight, mode} → done {ms, open, clientCpuMs}; exit.
 */
interface Run {
  port: number
  connections: number
  rooms: number
  inFlight: number
  mode: 'raw' | 'full'
}

let clients: BenchClient[] = []

async function joinOne(run: Run, index: number): Promise<BenchClient> {
  const roomId = `room-${index % run.rooms}`
  if (run.mode === 'raw') {
    const client = await BenchClient.connect(run.port)
    const answered = client.next((m) => (m.type === 'joined' ? true : undefined))
    client.send(`join ${roomId}`)
    await answered
    return client
  }
  const client = await BenchClient.connect(run.port, { protocols: ['hubbub.v1.json'] })
  const joined = client.next((m) => {
    if (m.type === 'joined') return true
    if (m.type === 'error') throw new Error(`join refused: ${JSON.stringify(m)}`)
    return undefined
  })
  // Sent at once, without waiting for `welcome`: the server reads frames in order.
  client.send(`{"type":"join","roomId":"${roomId}","username":"u${index}"}`)
  await joined
  return client
}

async function run(msg: Run): Promise<void> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  let next = 0
  const worker = async () => {
    while (next < msg.connections) clients.push(await joinOne(msg, next++))
  }
  await Promise.all(Array.from({ length: msg.inFlight }, worker))
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  const open = clients.filter((c) => c.closeCode === undefined).length
  process.send?.({ type: 'done', ms, open, clientCpuMs: (used.user + used.system) / 1000 })
}

process.on('message', (msg: { type: string } & Record<string, unknown>) => {
  if (msg.type === 'run') {
    run(msg as unknown as Run).catch((err: unknown) =>
      process.send?.({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
    )
  } else if (msg.type === 'exit') {
    for (const client of clients) client.destroy()
    clients = []
    process.exit(0)
  }
})
