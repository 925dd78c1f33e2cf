import { BenchClient } from './BenchClient.js'

/**
 * Load-generator side of the full-server fan-out bench, in its own pinned process:
 * `members` sockets (member 0 also publishes) count every text frame they get.
 * IPC in: setup {port, members, mode, roomId} → ready; run {publishes, burst, text} → done; exit.
 * In full mode each member joins the room over the protocol before counting starts.
 */
interface Setup {
  port: number
  members: number
  mode: 'raw' | 'full'
  roomId: string
}
interface Run {
  publishes: number
  burst: number
  /** full: the message text (64 bytes); raw: the whole frame payload to publish. */
  text: string
}

let clients: BenchClient[] = []
let mode: Setup['mode'] = 'raw'
let roomId = 'bench'
let total = 0
let target = Number.POSITIVE_INFINITY
let reached: (() => void) | undefined

async function connectOne(port: number, index: number): Promise<BenchClient> {
  const client = await BenchClient.connect(port, mode === 'full' ? { protocols: ['hubbub.v1.json'] } : {})
  if (mode === 'full') {
    await client.next((m) => (m.type === 'welcome' ? true : undefined))
    const joined = client.next((m) => {
      if (m.type === 'joined') return true
      if (m.type === 'error') throw new Error(`join refused: ${JSON.stringify(m)}`)
      return undefined
    })
    client.send(JSON.stringify({ type: 'join', roomId, username: `m${index}` }))
    await joined
  }
  return client
}

/** Resolves once no text frame has arrived for `quietMs` (the presence storm of a filling room is over). */
async function settle(quietMs: number): Promise<void> {
  let last = -1
  for (;;) {
    const now = clients.reduce((sum, c) => sum + c.count, 0)
    if (now === last) return
    last = now
    await new Promise((r) => setTimeout(r, quietMs))
  }
}

async function setup(msg: Setup): Promise<void> {
  mode = msg.mode
  roomId = msg.roomId
  for (let i = 0; i < msg.members; i += 50) {
    const batch = Array.from({ length: Math.min(50, msg.members - i) }, (_, k) => connectOne(msg.port, i + k))
    clients.push(...(await Promise.all(batch)))
  }
  await settle(300)
  for (const client of clients) {
    client.count = 0
    client.onCount = (added) => {
      total += added
      if (total >= target) reached?.()
    }
  }
  process.send?.({ type: 'ready', members: clients.length })
}

async function run(msg: Run): Promise<void> {
  const publisher = clients[0]!
  const payload = mode === 'full' ? JSON.stringify({ type: 'message', roomId, text: msg.text }) : msg.text
  const frame = publisher.encode(payload)
  const start = total
  const t0 = performance.now()
  let sent = 0
  while (sent < msg.publishes) {
    const burst = Math.min(msg.burst, msg.publishes - sent)
    publisher.socket.cork()
    for (let i = 0; i < burst; i++) publisher.sendRaw(frame)
    publisher.socket.uncork()
    sent += burst
    target = start + sent * clients.length
    if (total < target) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const closed = clients.filter((c) => c.closeCode !== undefined).length
          reject(
            new Error(`stalled at ${total - start}/${target - start} deliveries (${closed} sockets closed)`),
          )
        }, 15_000)
        reached = () => {
          clearTimeout(timer)
          reached = undefined
          resolve()
        }
      })
    }
  }
  process.send?.({
    type: 'done',
    deliveries: total - start,
    elapsedMs: performance.now() - t0,
    frameLength: publisher.lastLength,
  })
}

process.on('message', (msg: { type: string } & Record<string, unknown>) => {
  const fail = (err: unknown) => {
    process.send?.({ type: 'failed', error: err instanceof Error ? err.message : String(err) })
  }
  if (msg.type === 'setup') setup(msg as unknown as Setup).catch(fail)
  else if (msg.type === 'run') run(msg as unknown as Run).catch(fail)
  else if (msg.type === 'exit') {
    for (const client of clients) client.destroy()
    clients = []
    process.exit(0)
  }
})
