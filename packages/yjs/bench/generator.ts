/**
 * The bench's load generator (one process for every editor): `docs` × `editors` connections,
 * each with a `Y.Doc` of its own that types one character into a `Y.Text` at `rate` updates per
 * second. Receivers do not apply updates (that would make the generator the bottleneck): they
 * read the update's first struct id (client, clock), which names the send, and take the time
 * since that send as the relay latency. The sender's own copy is not counted.
 */
import { type Client, connect } from '@hubbub/client'
import { msgpackWire } from '@hubbub/client/msgpack'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { reply, serve } from './ipc.js'

const [kind = '', url = '', docsArg = '2', editorsArg = '2', rateArg = '10'] = process.argv.slice(2)
const docs = Number(docsArg)
const editorsPerDoc = Number(editorsArg)
const rate = Number(rateArg)

const STEP_1 = 0
const STEP_2 = 1
const UPDATE = 2
/** Hocuspocus message types (its protocol prefixes each y-protocols message with the document name). */
const HP_SYNC = 0
const HP_AUTH = 2
const HP_SYNC_REPLY = 4

interface Editor {
  doc: Y.Doc
  text: Y.Text
  send: (sync: Uint8Array) => void
  close: () => void
}

/** Sends in the window: time of the send and deliveries still expected, by update id. */
const sent = new Map<number, { at: number; left: number }>()
const latencies: number[] = []
let windowStart = Number.POSITIVE_INFINITY
let windowEnd = Number.POSITIVE_INFINITY
let sentInWindow = 0
let received = 0
let drained: (() => void) | undefined

const idOf = (client: number, clock: number) => client * 1_048_576 + clock

function syncMessage(kind: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, kind)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

/** An update from another editor reached `self`: its latency, if it was sent in the window. */
function delivered(self: number, update: Uint8Array): void {
  const d = decoding.createDecoder(update)
  if (decoding.readVarUint(d) === 0) return
  decoding.readVarUint(d) // structs of the first client
  const client = decoding.readVarUint(d)
  if (client === self) return
  const clock = decoding.readVarUint(d)
  const id = idOf(client, clock)
  const s = sent.get(id)
  if (s === undefined) return
  latencies.push(performance.now() - s.at)
  received++
  if (--s.left === 0) {
    sent.delete(id)
    if (sent.size === 0) drained?.()
  }
}

async function hubbubEditor(docId: string, user: string): Promise<Editor> {
  const client: Client = connect(url, {
    WebSocket: WebSocket as never,
    wire: msgpackWire,
    reconnect: false,
    rate: { perSecond: Math.max(19, rate * 2), burst: Math.max(36, rate * 4) },
  })
  const doc = new Y.Doc()
  let synced: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    synced = resolve
  })
  client.on('custom', (frame: Record<string, unknown>) => {
    if (frame.roomId !== docId) return
    if (frame.type === 'yjs_update' && frame.update instanceof Uint8Array)
      delivered(doc.clientID, frame.update)
    else if (frame.type === 'yjs_sync' && frame.data instanceof Uint8Array && frame.data[0] === STEP_2)
      synced()
  })
  await client.join(docId, { username: user })
  const send = (sync: Uint8Array) => client.send({ type: 'yjs_sync', roomId: docId, data: sync } as never)
  send(syncMessage(STEP_1, Y.encodeStateVector(doc)))
  await ready
  return { doc, text: doc.getText('text'), send, close: () => client.close() }
}

async function hocuspocusEditor(docId: string): Promise<Editor> {
  const ws = new WebSocket(url)
  ws.binaryType = 'nodebuffer'
  const doc = new Y.Doc()
  const prefix = (): encoding.Encoder => {
    const e = encoding.createEncoder()
    encoding.writeVarString(e, docId)
    return e
  }
  let synced: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    synced = resolve
  })
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    decoding.readVarString(d)
    const type = decoding.readVarUint(d)
    if (type !== HP_SYNC && type !== HP_SYNC_REPLY) return
    const step = decoding.readVarUint(d)
    if (step === UPDATE) delivered(doc.clientID, decoding.readVarUint8Array(d))
    else if (step === STEP_2) synced()
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const auth = prefix()
  encoding.writeVarUint(auth, HP_AUTH)
  encoding.writeVarUint(auth, 0) // a token
  encoding.writeVarString(auth, '')
  ws.send(encoding.toUint8Array(auth))
  const send = (sync: Uint8Array) => {
    const e = prefix()
    encoding.writeVarUint(e, HP_SYNC)
    encoding.writeUint8Array(e, sync)
    ws.send(encoding.toUint8Array(e))
  }
  send(syncMessage(STEP_1, Y.encodeStateVector(doc)))
  await ready
  return { doc, text: doc.getText('text'), send, close: () => ws.close() }
}

const editors: Editor[] = []
for (let d = 0; d < docs; d++) {
  const joins: Promise<Editor>[] = []
  for (let e = 0; e < editorsPerDoc; e++) {
    joins.push(kind === 'hocuspocus' ? hocuspocusEditor(`doc-${d}`) : hubbubEditor(`doc-${d}`, `u${d}-${e}`))
  }
  editors.push(...(await Promise.all(joins)))
}
// Round-robin order across documents, so each document's editors take turns evenly.
const order: Editor[] = []
for (let e = 0; e < editorsPerDoc; e++)
  for (let d = 0; d < docs; d++) order.push(editors[d * editorsPerDoc + e]!)

let typing: ReturnType<typeof setInterval> | undefined
let next = 0

/** One keystroke: a character typed at the end of the editor's text, sent as one update. */
function keystroke(editor: Editor): void {
  let update: Uint8Array | undefined
  const take = (u: Uint8Array) => {
    update = u
  }
  editor.doc.on('update', take)
  editor.text.insert(editor.text.length, 'x')
  editor.doc.off('update', take)
  const now = performance.now()
  if (now >= windowStart && now < windowEnd) {
    const clock = Y.getState(editor.doc.store, editor.doc.clientID) - 1
    sent.set(idOf(editor.doc.clientID, clock), { at: now, left: editorsPerDoc - 1 })
    sentInWindow++
  }
  editor.send(syncMessage(UPDATE, update!))
}

function startTyping(): void {
  const perMs = (order.length * rate) / 1000
  const t0 = performance.now()
  let done = 0
  // Sends what is due since the start: the rate holds on average even when timers run late.
  typing = setInterval(() => {
    const due = Math.floor((performance.now() - t0) * perMs)
    for (; done < due; done++) {
      keystroke(order[next]!)
      next = (next + 1) % order.length
    }
  }, 5)
}

reply({ type: 'connected', editors: editors.length })
let cpuAtStart = process.cpuUsage()
serve(async (m) => {
  if (m.type === 'type') {
    startTyping()
    reply({ type: 'typing' })
  } else if (m.type === 'start') {
    cpuAtStart = process.cpuUsage()
    windowStart = performance.now()
    reply({ type: 'started' })
  } else if (m.type === 'end') {
    windowEnd = performance.now()
    const cpu = process.cpuUsage(cpuAtStart)
    const windowMs = windowEnd - windowStart
    clearInterval(typing)
    // Deliveries of sends in the window still on their way: waited for, up to 10 s.
    if (sent.size > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve
        setTimeout(resolve, 10_000).unref()
      })
    }
    latencies.sort((a, b) => a - b)
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    reply({
      type: 'report',
      windowMs,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
      sent: sentInWindow,
      expected: sentInWindow * (editorsPerDoc - 1),
      received,
      p50: at(0.5),
      p99: at(0.99),
      max: latencies[latencies.length - 1] ?? NaN,
    })
    for (const e of editors) e.close()
  }
})
