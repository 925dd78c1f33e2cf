import { benchTransport, type TransportName } from '../server/benchTransport.js'

/**
 * Server side of the compression bench, in its own pinned process: a transport adapter
 * with `perMessageDeflate` on or off, every connection subscribed to one topic.
 * argv: <ws|uws> <on|off>. IPC out: {type:'listening', port}.
 * IPC in: {type:'run', publishes, message} publishes `message` that many times (one
 * `publish` each, with its own offset and a rotated text, so no two frames are equal),
 * yielding every 10; {type:'send', …} sends each to every connection with `send`
 * instead (the per-recipient path). Both answer {type:'started'}; {type:'cpu'} (asked
 * once the clients got everything: compression and socket writes can finish after the
 * loop) answers {type:'cpu', cpuMs}, the CPU (user + system, zlib threads included)
 * used since the run started.
 */
const [name = 'ws', mode = 'off'] = process.argv.slice(2) as [TransportName, string]
const transport = await benchTransport(name, {
  perMessageDeflate: mode === 'on',
  maxBackpressure: 64 * 1024 * 1024,
})
const connections = new Set<import('@hubbub/transport').Connection>()
transport.onConnection((c) => {
  connections.add(c)
  c.subscribe('bench')
  c.onClose(() => connections.delete(c))
})
const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ type: 'listening', port })

const turn = () => new Promise((r) => setImmediate(r))
let offset = 0
/** The i-th message: its own offset, its text rotated, as consecutive chat lines differ. */
const nth = (template: { text: string } & Record<string, unknown>) => {
  offset++
  const k = (offset * 37) % template.text.length
  return JSON.stringify({ ...template, offset, text: template.text.slice(k) + template.text.slice(0, k) })
}
let start = process.cpuUsage()
process.on('message', async (msg: { type: string; publishes: number; message: string }) => {
  if (msg.type === 'exit') {
    await transport.close({ graceMs: 0 })
    process.exit(0)
  }
  if (msg.type === 'cpu') {
    const used = process.cpuUsage(start)
    process.send?.({ type: 'cpu', cpuMs: (used.user + used.system) / 1000 })
    return
  }
  if (msg.type !== 'run' && msg.type !== 'send') return
  const template = JSON.parse(msg.message)
  start = process.cpuUsage()
  process.send?.({ type: 'started' })
  for (let i = 0; i < msg.publishes; i++) {
    const data = nth(template)
    if (msg.type === 'run') transport.publish('bench', data)
    else for (const c of connections) c.send(data)
    if (i % 10 === 9) await turn()
  }
})
