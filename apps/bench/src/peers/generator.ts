import { randomBytes } from 'node:crypto'
import { type Socket, connect as tcpConnect } from 'node:net'
import * as hdr from 'hdr-histogram-js'
import type { WireName } from './peers.js'
import {
  MARK,
  MARKER_LENGTH,
  payloadTemplate,
  SEQ_AT,
  SEQ_DIGITS,
  TS_AT,
  TS_DIGITS,
  type Wire,
  wires,
} from './wire.js'

/**
 * The load generator, one process pinned to the generator core (the runner may start several).
 * It speaks WebSocket over raw TCP itself: an HTTP upgrade, masked client frames, a header-only
 * frame parser that only looks inside a text frame for the payload marker (`wire.ts`). Publishing
 * is open-loop: each publisher's frame is built and masked once; a message is that frame copied
 * into a shared ring buffer with its sequence and intended send time patched in (digits XORed with
 * the mask), one `write` per publisher per tick. Latency runs from the intended send time, so a
 * late sender shows up as latency (no coordinated omission).
 *
 * IPC in: connect {port, wire, conns:[{user, room}], inFlight, size} → connected {ms};
 *         load {publishers:[{conn, pubId}], pubsPerRoom, rate, warmMs, durMs} → loaded {…};
 *         one {room} → one {ms} (connect + join one more client); progress → progress {sent,
 *         delivered, dups, gaps} (the running load so far: a soak polls it); reset → reset (closes
 *         every connection); exit.
 */

/**
 * A socket whose reads land in the shared read buffer (`onread`: no Buffer and no stream event per
 * read, which is most of a small frame's cost) and go to `sink`, swapped as the connection moves
 * from its upgrade to its frames. A sink must copy what it keeps: the next read overwrites it.
 */
interface Link {
  socket: Socket
  sink: (chunk: Buffer) => void
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

function link(options: { port: number; host: string; localAddress?: string }): Link {
  const l: Link = {
    socket: undefined as unknown as Socket,
    sink: () => {},
  }
  l.socket = tcpConnect({
    ...options,
    onread: {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Uint8Array) => {
        l.sink((buf as Buffer).subarray(0, n))
        return true
      },
    },
  })
  return l
}

interface Conn {
  socket: Socket
  link: Link
  mask: Buffer
  pending: Buffer | undefined
  /** Where the payload marker sat in this connection's last payload frame (a server's frames repeat). */
  markAt: number
  waiter: ((text: string) => void) | undefined
}

let wire: Wire = wires.raw
let port = 0
let size = 64
const conns: Conn[] = []
let histogram = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 120_000_000,
  numberOfSignificantValueDigits: 3,
})

// Per-window counters.
let delivered = 0
let inWindow = 0
let dups = 0
/** Error frames the server sent outside a handshake (a refused publish), and the first of them. */
let refusals = 0
let firstRefusal: string | undefined
const ERROR_TYPE = Buffer.from('"type":"error"')
let gaps = 0
let lastSeq = new Float64Array(0)
let pubsPerRoom = 1
let nowUs = 0
/** Sequence numbers of the measured window (every publisher shares start and rate). */
let seqFrom = 0
let seqTo = 0
let latencyEvery = 1
let sampleIn = 1
/**
 * Each load step numbers its messages from its own base (loads are counted the same way in every
 * generator process), so a message of the previous step still in flight is told apart.
 */
const STEP_SEQS = 1e9
let loads = 0
let seqBase = 0
/** Messages sent so far by the running (or last) load. */
let sentSoFar = () => 0

const clockUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000)

function digits(buf: Buffer, at: number, n: number): number {
  let v = 0
  for (let i = 0; i < n; i++) v = v * 10 + (buf[at + i]! - 48)
  return v
}

function onFrame(index: number, conn: Conn, buf: Buffer, start: number, end: number): void {
  // index -1: a churn connection, which only ever waits for answers
  let m = -1
  if (index >= 0) {
    // the marker where it was last time (both ends checked), else searched for
    m = start + conn.markAt
    if (m + MARKER_LENGTH > end || buf[m] !== MARK || buf[m + MARKER_LENGTH - 1] !== MARK) {
      m = buf.indexOf(MARK, start)
      if (m >= 0) conn.markAt = m - start
    }
  }
  if (m >= 0 && m + MARKER_LENGTH <= end) {
    const seq = digits(buf, m + SEQ_AT, SEQ_DIGITS)
    // a late message of an earlier step: not this step's to count
    if (seq < seqBase || seq >= seqBase + STEP_SEQS) return
    delivered++
    const slot = pubsPerRoom === 1 ? index : index * pubsPerRoom + (digits(buf, m + 1, 8) % pubsPerRoom)
    const last = lastSeq[slot]!
    if (seq <= last) dups++
    else {
      if (seq > last + 1) gaps += seq - last - 1
      lastSeq[slot] = seq
    }
    if (seq >= seqFrom && seq < seqTo) {
      inWindow++
      // the send time is parsed only for every n-th delivery of the window: the rest are only counted
      if (--sampleIn === 0) {
        sampleIn = latencyEvery
        histogram.recordValue(Math.max(1, nowUs - digits(buf, m + TS_AT, TS_DIGITS)))
      }
    }
    return
  }
  if (conn.waiter) conn.waiter(buf.toString('utf8', start, end))
  else if (index >= 0 && buf[start] === 0x7b && buf.indexOf(ERROR_TYPE, start) === start + 1) {
    refusals++
    firstRefusal ??= buf.toString('utf8', start, Math.min(end, start + 200))
  }
}

function onData(index: number, conn: Conn, chunk: Buffer): void {
  let buf = conn.pending ? Buffer.concat([conn.pending, chunk]) : chunk
  conn.pending = undefined
  nowUs = clockUs()
  let at = 0
  while (buf.length - at >= 2) {
    const b0 = buf[at]!
    let len = buf[at + 1]! & 0x7f
    let head = 2
    if (len === 126) {
      if (buf.length - at < 4) break
      len = buf.readUInt16BE(at + 2)
      head = 4
    } else if (len === 127) {
      if (buf.length - at < 10) break
      len = Number(buf.readBigUInt64BE(at + 2))
      head = 10
    }
    if (buf.length - at < head + len) break
    const opcode = b0 & 0x0f
    const start = at + head
    if (opcode === 0x1) onFrame(index, conn, buf, start, start + len)
    else if (opcode === 0x9) conn.socket.write(frame(buf.subarray(start, start + len), conn.mask, 0xa))
    at = start + len
  }
  if (at < buf.length) {
    buf = buf.subarray(at)
    conn.pending = Buffer.from(buf)
  }
}

/** One masked client frame (RFC 6455 §5.3). */
function frame(data: string | Buffer, mask: Buffer, opcode = 0x1): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data
  const len = payload.length
  const headerLength = len < 126 ? 2 : len < 65_536 ? 4 : 10
  const out = Buffer.allocUnsafe(headerLength + 4 + len)
  out[0] = 0x80 | opcode
  if (headerLength === 2) out[1] = 0x80 | len
  else if (headerLength === 4) {
    out[1] = 0x80 | 126
    out.writeUInt16BE(len, 2)
  } else {
    out[1] = 0x80 | 127
    out.writeBigUInt64BE(BigInt(len), 2)
  }
  mask.copy(out, headerLength)
  for (let i = 0; i < len; i++) out[headerLength + 4 + i] = payload[i]! ^ mask[i & 3]!
  return out
}

/** HTTP upgrade over a fresh TCP socket; resolves with the connection once the 101 is read. */
function upgrade(
  localAddress?: string,
  onSocket?: (socket: Socket) => void,
): Promise<{ link: Link; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const l = link(localAddress ? { port, host: '127.0.0.1', localAddress } : { port, host: '127.0.0.1' })
    const { socket } = l
    onSocket?.(socket)
    socket.setNoDelay(true)
    let head = Buffer.alloc(0)
    const fail = (err: Error) => {
      socket.destroy()
      reject(err)
    }
    socket.once('error', fail)
    socket.on('connect', () => {
      const protocol = wire.protocols.length ? `Sec-WebSocket-Protocol: ${wire.protocols.join(', ')}\r\n` : ''
      socket.write(
        `GET ${wire.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Origin: http://127.0.0.1:${port}\r\n${protocol}\r\n`,
      )
    })
    l.sink = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      l.sink = () => {}
      socket.off('error', fail)
      socket.pause()
      const status = head.toString('latin1', 0, end).split(' ')[1]
      if (status !== '101') return fail(new Error(`upgrade answered ${status}`))
      resolve({ link: l, rest: head.subarray(end + 4) })
    }
  })
}

function nextText(conn: Conn, pick: (text: string) => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for the server')), timeoutMs)
    conn.waiter = (text) => {
      try {
        if (!pick(text)) return
      } catch (err) {
        reject(err)
      }
      clearTimeout(timer)
      conn.waiter = undefined
      resolve()
    }
  })
}

/** A connection on an upgraded link, with a mask of its own. */
function newConn(link: Link): Conn {
  return { socket: link.socket, link, mask: randomBytes(4), pending: undefined, markAt: 0, waiter: undefined }
}

/** Connects, says hello and joins `room`, as connection `index`. */
async function open(index: number, user: number, room: string, localAddress?: string): Promise<void> {
  const { link, rest } = await upgrade(localAddress)
  const conn = newConn(link)
  conns[index] = conn
  await handshake(index, conn, rest, user, room)
}

/** Hello and join on an upgraded connection (`index` -1: a churn connection, not kept). */
async function handshake(
  index: number,
  conn: Conn,
  rest: Buffer,
  user: number,
  room: string,
  timeoutMs?: number,
) {
  const { socket } = conn
  conn.link.sink = (chunk: Buffer) => onData(index, conn, chunk)
  socket.on('error', () => {})
  const { hello } = wire
  const first = hello.first ? nextText(conn, hello.first, timeoutMs) : undefined
  if (rest.length > 0) onData(index, conn, rest)
  socket.resume()
  await first
  const helloAnswer = hello.await ? nextText(conn, hello.await, timeoutMs) : undefined
  for (const text of hello.send) socket.write(frame(text, conn.mask))
  await helloAnswer
  const joined = nextText(conn, (t) => wire.joined(t), timeoutMs)
  socket.write(frame(wire.join(room, `u${user}`), conn.mask))
  await joined
}

interface ConnectMsg {
  port: number
  wire: WireName
  conns: Array<{ user: number; room: string }>
  inFlight: number
  size: number
  /** Source addresses (127.0.0.x) dealt round-robin over the connections; default: the kernel's. */
  localAddresses?: string[]
}

async function connectAll(msg: ConnectMsg): Promise<void> {
  port = msg.port
  wire = wires[msg.wire]
  size = msg.size
  const t0 = performance.now()
  let next = 0
  // connection k of the list is conns[base + k], whatever order the upgrades finish in: the runner
  // names publishers (and the room each publishes to) by that index
  const base = conns.length
  const sources = msg.localAddresses ?? []
  const worker = async () => {
    while (next < msg.conns.length) {
      const k = next++
      const { user, room } = msg.conns[k]!
      await open(base + k, user, room, sources.length ? sources[k % sources.length] : undefined)
    }
  }
  await Promise.all(Array.from({ length: Math.min(msg.inFlight, msg.conns.length) }, worker))
  process.send?.({ type: 'connected', ms: performance.now() - t0, open: conns.length })
}

interface LoadMsg {
  /** Local connection index and global publisher id of each publisher in this process. */
  publishers: Array<{ conn: number; pubId: number; room: string }>
  pubsPerRoom: number
  /** Messages/s per publisher. */
  rate: number
  warmMs: number
  durMs: number
  /** Wall-clock µs at which publishing starts (the same for every generator process). */
  startUs: number
  /** Latency of every n-th message of each publisher (by sequence number); all are counted. */
  latencyEvery: number
  /** Members of each room held by this process when it holds them all (one generator), else 0. */
  membersHere: number
  /**
   * Instead of `membersHere`: this process holds `members` members of a room that `publishers`
   * publishers (in any process) send to; it drains until each window message reached each of them.
   */
  expectHere?: { members: number; publishers: number }
  /** Send the latency histogram back (base64), so the runner can merge several processes'. */
  encodeHistogram?: boolean
  /**
   * Publishes leave in bursts every `burstMs` (default 0: every tick, about 1 ms): message k, due at
   * startUs + k × interval, goes with the first burst at or after that time and carries the burst's
   * time as its send time. A server that writes a burst's frames to a member in one write then
   * costs the generator one read per burst per member instead of one per message.
   */
  burstMs?: number
}

const RING_BYTES = 4 * 1024 * 1024

async function load(msg: LoadMsg): Promise<void> {
  pubsPerRoom = msg.pubsPerRoom
  delivered = inWindow = dups = gaps = refusals = 0
  firstRefusal = undefined
  histogram.reset()
  const startUs = msg.startUs
  const winStart = startUs + msg.warmMs * 1000
  const winEnd = winStart + msg.durMs * 1000
  const intervalUs = 1e6 / msg.rate
  // each publisher runs its schedule shifted by its own phase (under one interval), so thousands of
  // slow publishers do not all send at the same instant; the last of them is done an interval later
  const stopUs = winEnd + intervalUs
  const burstUs = Math.max(0, (msg.burstMs ?? 0) * 1000)
  // message k is meant to leave at startUs + phase + k × interval: the window is a range of sequence
  // numbers, the same for every publisher
  seqBase = ((loads++ % 9) + 1) * STEP_SEQS
  seqFrom = seqBase + Math.ceil((winStart - startUs) / intervalUs)
  seqTo = seqBase + Math.ceil((winEnd - startUs) / intervalUs)
  lastSeq = new Float64Array(conns.length * pubsPerRoom).fill(seqBase - 1)
  latencyEvery = sampleIn = Math.max(1, msg.latencyEvery)
  const pubs = msg.publishers.map((p) => {
    const conn = conns[p.conn]!
    const text = Buffer.from(wire.publish(p.room, payloadTemplate(p.pubId, size)))
    const template = frame(text, conn.mask)
    const headerLength = template.length - 4 - text.length
    const offset = text.indexOf(MARK) // the marker's offset in the payload
    const phaseUs = ((p.pubId * 0.618_033_988_749_895) % 1) * intervalUs
    return { conn, template, headerLength, offset, phaseUs, sent: 0, sentInWindow: 0 }
  })
  sentSoFar = () => pubs.reduce((s, p) => s + p.sent, 0)
  let ring = Buffer.allocUnsafe(RING_BYTES)
  let cursor = 0
  let stalls = 0
  const cpu0 = { at: 0, usage: process.cpuUsage() }
  let cpuWindow: NodeJS.CpuUsage | undefined
  let cpuEnd = 0
  const lastN = seqTo - seqBase

  const patch = (at: number, pub: (typeof pubs)[number], digitsAt: number, value: number, n: number) => {
    const { mask } = pub.conn
    const base = at + pub.headerLength + 4
    for (let i = n - 1; i >= 0; i--) {
      const p = pub.offset + digitsAt + i
      ring[base + p] = (48 + (value % 10)) ^ mask[p & 3]!
      value = Math.floor(value / 10)
    }
  }

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = clockUs()
      if (cpu0.at === 0 && now >= winStart) {
        cpu0.usage = process.cpuUsage()
        cpu0.at = now
      }
      if (cpuWindow === undefined && now >= winEnd) {
        cpuWindow = process.cpuUsage(cpu0.usage)
        cpuEnd = now
      }
      let until = Math.min(now, stopUs)
      if (burstUs > 0) until = startUs + Math.floor((until - startUs) / burstUs) * burstUs
      let behind = 0
      for (const pub of pubs) {
        if (pub.conn.socket.writableLength > 256 * 1024) {
          stalls++
          continue
        }
        const due = Math.min(lastN, Math.floor((until - startUs - pub.phaseUs) / intervalUs) + 1) - pub.sent
        if (pub.sent < lastN) behind++
        if (due <= 0) continue
        const bytes = due * pub.template.length
        if (cursor + bytes > ring.length) {
          if (bytes > ring.length) ring = Buffer.allocUnsafe(bytes)
          else if (pubs.some((p) => p.conn.socket.writableLength > 0)) ring = Buffer.allocUnsafe(RING_BYTES)
          cursor = 0
        }
        const from = cursor
        for (let k = 0; k < due; k++) {
          const n = pub.sent++
          const seq = seqBase + n
          const at = pub.phaseUs + n * intervalUs
          const intended = Math.round(startUs + (burstUs > 0 ? Math.ceil(at / burstUs) * burstUs : at))
          pub.template.copy(ring, cursor)
          patch(cursor, pub, SEQ_AT, seq, SEQ_DIGITS)
          patch(cursor, pub, TS_AT, intended, TS_DIGITS)
          if (seq >= seqFrom && seq < seqTo) pub.sentInWindow++
          cursor += pub.template.length
        }
        pub.conn.socket.write(ring.subarray(from, cursor))
      }
      if (now >= stopUs || (behind === 0 && cpuWindow !== undefined)) {
        if (cpuWindow === undefined) {
          cpuWindow = process.cpuUsage(cpu0.usage)
          cpuEnd = now
        }
        return resolve()
      }
      setTimeout(tick, 1)
    }
    setTimeout(tick, Math.max(0, (startUs - clockUs()) / 1000))
  })
  // Drain. When every member is here (one generator), until each window message reached every
  // member (at most 10 s: a loaded machine can pause longer than any quiet period); otherwise until
  // deliveries stop (300 ms without one, at most 5 s).
  const drainStart = performance.now()
  const expected = msg.expectHere
    ? msg.expectHere.members * msg.expectHere.publishers * (seqTo - seqFrom)
    : msg.membersHere * pubs.reduce((s, p) => s + p.sentInWindow, 0)
  if (msg.membersHere > 0 || msg.expectHere)
    while (inWindow < expected && performance.now() - drainStart < 10_000)
      await new Promise((r) => setTimeout(r, 20))
  else
    for (let last = -1; delivered !== last && performance.now() - drainStart < 5000; ) {
      last = delivered
      await new Promise((r) => setTimeout(r, 300))
    }
  const windowUs = Math.max(1, cpu0.at ? cpuEnd - cpu0.at : msg.durMs * 1000)
  const cpuUs = cpuWindow ? cpuWindow.user + cpuWindow.system : 0
  process.send?.({
    type: 'loaded',
    sentInWindow: pubs.reduce((s, p) => s + p.sentInWindow, 0),
    windowSeqs: seqTo - seqFrom,
    sent: pubs.reduce((s, p) => s + p.sent, 0),
    delivered,
    inWindow,
    dups,
    gaps,
    stalls,
    refusals,
    firstRefusal,
    cpuShare: cpuUs / windowUs,
    sysShare: cpuWindow ? cpuWindow.system / windowUs : 0,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    p999Ms: histogram.getValueAtPercentile(99.9) / 1000,
    maxMs: histogram.maxValue / 1000,
    samples: histogram.totalCount,
    ...(msg.encodeHistogram ? { histogram: hdr.encodeIntoCompressedBase64(histogram) } : {}),
  })
}

interface ChurnMsg {
  port: number
  wire: WireName
  /** Cycles/s this process starts: connect, hello, join (answered), leave, close. */
  rate: number
  warmMs: number
  durMs: number
  startUs: number
  /** Rooms joined in turn (`<roomPrefix><k % rooms>`). */
  rooms: number
  roomPrefix: string
  /** First user number of this step in this process (users are unique per run). */
  userBase: number
  /** Churn sockets this process may hold at once; a cycle due past it is skipped (and counted). */
  maxOpen: number
  /** A cycle whose join is not answered within this many ms fails. */
  timeoutMs: number
}

const CLOSE_1000 = Buffer.from([0x03, 0xe8])

/**
 * Open-loop churn: cycle k is due at startUs + k / rate; it connects, says hello, joins a room and,
 * once the join is answered, leaves the room, sends a close frame and ends the socket. Join latency
 * runs from the cycle's due time to the join's answer (connect and hello included), so a late start
 * counts as latency. A cycle is complete when the socket has closed after its leave.
 */
async function churn(msg: ChurnMsg): Promise<void> {
  port = msg.port
  wire = wires[msg.wire]
  histogram.reset()
  const { startUs } = msg
  const winStart = startUs + msg.warmMs * 1000
  const winEnd = winStart + msg.durMs * 1000
  const intervalUs = 1e6 / msg.rate
  let due = 0
  let open = 0
  let peakOpen = 0
  let windowCycles = 0
  let joined = 0
  let completed = 0
  let failed = 0
  let skipped = 0
  let settled = 0
  const errors = new Map<string, number>()
  const cpu0 = { at: 0, usage: process.cpuUsage() }
  let cpuWindow: NodeJS.CpuUsage | undefined

  const cycle = async (k: number, intended: number, inWindow: boolean) => {
    let socket: Socket | undefined
    let closed: Promise<void> | undefined
    open++
    peakOpen = Math.max(peakOpen, open)
    try {
      const { link, rest } = await upgrade(undefined, (s) => {
        socket = s
        closed = new Promise((resolve) => s.once('close', () => resolve()))
      })
      const conn = newConn(link)
      await handshake(-1, conn, rest, msg.userBase + k, `${msg.roomPrefix}${k % msg.rooms}`, msg.timeoutMs)
      if (inWindow) {
        histogram.recordValue(Math.max(1, clockUs() - intended))
        joined++
      }
      link.socket.write(frame(wire.leave(`${msg.roomPrefix}${k % msg.rooms}`), conn.mask))
      link.socket.write(frame(CLOSE_1000, conn.mask, 0x8))
      link.socket.end()
      let late = false
      const timer = setTimeout(() => {
        late = true
        link.socket.destroy()
      }, msg.timeoutMs)
      await closed
      clearTimeout(timer)
      if (inWindow && !late && !link.socket.errored) completed++
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err)
      errors.set(text, (errors.get(text) ?? 0) + 1)
      if (inWindow) failed++
      socket?.destroy()
      await closed
    } finally {
      open--
      if (inWindow) settled++
    }
  }

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = clockUs()
      if (cpu0.at === 0 && now >= winStart) {
        cpu0.usage = process.cpuUsage()
        cpu0.at = now
      }
      const until = Math.min(now, winEnd - 1)
      while (startUs + due * intervalUs <= until) {
        const k = due++
        const intended = startUs + k * intervalUs
        const inWindow = intended >= winStart
        if (inWindow) windowCycles++
        if (open >= msg.maxOpen) {
          skipped += inWindow ? 1 : 0
          if (inWindow) settled++
          continue
        }
        void cycle(k, intended, inWindow)
      }
      if (now >= winEnd) {
        cpuWindow = process.cpuUsage(cpu0.usage)
        return resolve()
      }
      setTimeout(tick, 1)
    }
    setTimeout(tick, Math.max(0, (startUs - clockUs()) / 1000))
  })
  // every cycle of the window has joined and closed, or failed (each has its own timeouts)
  while (settled < windowCycles || open > 0) await new Promise((r) => setTimeout(r, 20))
  const windowUs = Math.max(1, cpu0.at ? winEnd - cpu0.at : msg.durMs * 1000)
  const cpuUs = cpuWindow ? cpuWindow.user + cpuWindow.system : 0
  process.send?.({
    type: 'churned',
    cycles: windowCycles,
    joined,
    completed,
    failed,
    skipped,
    peakOpen,
    errors: Object.fromEntries(errors),
    cpuShare: cpuUs / windowUs,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    p999Ms: histogram.getValueAtPercentile(99.9) / 1000,
    maxMs: histogram.maxValue / 1000,
    samples: histogram.totalCount,
  })
}

async function one(msg: { room: string; user: number }): Promise<void> {
  const t0 = performance.now()
  await open(conns.length, msg.user, msg.room)
  process.send?.({ type: 'one', ms: performance.now() - t0 })
}

process.on('message', (msg: { type: string } & Record<string, unknown>) => {
  const fail = (err: unknown) =>
    process.send?.({ type: 'failed', error: err instanceof Error ? err.message : String(err) })
  if (msg.type === 'connect') connectAll(msg as unknown as ConnectMsg).catch(fail)
  else if (msg.type === 'load') load(msg as unknown as LoadMsg).catch(fail)
  else if (msg.type === 'churn') churn(msg as unknown as ChurnMsg).catch(fail)
  else if (msg.type === 'one') one(msg as unknown as { room: string; user: number }).catch(fail)
  else if (msg.type === 'progress')
    process.send?.({ type: 'progress', sent: sentSoFar(), delivered, dups, gaps })
  else if (msg.type === 'reset') {
    for (const conn of conns) conn?.socket.destroy()
    conns.length = 0
    process.send?.({ type: 'reset' })
  } else if (msg.type === 'exit') {
    for (const conn of conns) conn?.socket.destroy()
    histogram = hdr.build()
    process.exit(0)
  }
})
