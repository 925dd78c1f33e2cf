import { BenchClient } from './BenchClient.js'

/**
 * Load-generator side of the full-server fan-out bench, in its own pinned process:
 * `members` sockets count every text frame they get. Members are dealt round-robin over
 * `ports` (several nodes; default the one `port`); the first member on each port publishes,
 * the publishers taking turns burst by burst.
 * IPC in: setup {port, ports?, members, mode, roomId} → ready; run {publishes, maxMs?, burst, text} → done
 * (with the p50/p99 of the time from sending a burst to its last delivery); exit.
 * In full mode each member joins the room over the protocol before counting starts; in sio mode
 * over Socket.IO (engine.io v4 over a WebSocket: open, namespace connect, `join` with an ack).
 */
interface Setup {
  port: number
  ports?: number[]
  members: number
  mode: 'raw' | 'full' | 'sio'
  roomId: string
}
interface Run {
  publishes: number
  /** Stop sending new bursts after this long (ms), whatever `publishes` says; default: no limit. */
  maxMs?: number
  burst: number
  /** full: the message text (64 bytes); raw: the whole frame payload to publish. */
  text: string
}

let clients: BenchClient[] = []
let publishers: BenchClient[] = []
let mode: Setup['mode'] = 'raw'
let roomId = 'bench'
let total = 0
let target = Number.POSITIVE_INFINITY
let reached: (() => void) | undefined

/** Resolves with the first text frame of `client` that `pick` accepts (the frame as a string). */
function nextText(client: BenchClient, pick: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a Socket.IO frame')), timeoutMs)
    client.onText = (text) => {
      if (!pick(text)) return
      clearTimeout(timer)
      client.onText = undefined
      resolve(text)
    }
  })
}

async function connectSocketIo(port: number): Promise<BenchClient> {
  const client = await BenchClient.connect(port, { path: '/socket.io/?EIO=4&transport=websocket' })
  await nextText(client, (t) => t.startsWith('0{')) // engine.io open
  const connected = nextText(client, (t) => t.startsWith('40'))
  client.send('40')
  await connected
  const acked = nextText(client, (t) => t.startsWith('431'))
  client.send(`421${JSON.stringify(['join', roomId])}`)
  await acked
  return client
}

async function connectOne(port: number, index: number): Promise<BenchClient> {
  if (mode === 'sio') return connectSocketIo(port)
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
  const ports = msg.ports ?? [msg.port]
  for (let i = 0; i < msg.members; i += 50) {
    const batch = Array.from({ length: Math.min(50, msg.members - i) }, (_, k) =>
      connectOne(ports[(i + k) % ports.length]!, i + k),
    )
    clients.push(...(await Promise.all(batch)))
  }
  publishers = clients.slice(0, ports.length)
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

function payloadOf(text: string): string {
  if (mode === 'full') return JSON.stringify({ type: 'message', roomId, text })
  if (mode === 'sio') return `42${JSON.stringify(['message', { roomId, text }])}`
  return text
}

const percentile = (xs: number[], p: number) =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

async function run(msg: Run): Promise<void> {
  const frames = publishers.map((p) => p.encode(payloadOf(msg.text)))
  const start = total
  const t0 = performance.now()
  const burstMs: number[] = []
  let sent = 0
  let turn = 0
  while (sent < msg.publishes && !(msg.maxMs !== undefined && performance.now() - t0 >= msg.maxMs)) {
    const burst = Math.min(msg.burst, msg.publishes - sent)
    const publisher = publishers[turn % publishers.length]!
    const frame = frames[turn % publishers.length]!
    turn++
    const b0 = performance.now()
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
    burstMs.push(performance.now() - b0)
  }
  process.send?.({
    type: 'done',
    deliveries: total - start,
    expected: sent * clients.length,
    elapsedMs: performance.now() - t0,
    frameLength: publishers[0]!.lastLength,
    burstP50Ms: percentile(burstMs, 0.5),
    burstP99Ms: percentile(burstMs, 0.99),
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
