import WebSocket from 'ws'

/**
 * Child process of heapPerConnection.ts: opens N WebSocket clients, each joining
 * one of R rooms, reports how many joined (and failed), then idles until told to exit. Kept out of the
 * server's process so its heap does not count.
 */
const [port, n, rooms] = process.argv.slice(2).map(Number) as [number, number, number]
const sockets: WebSocket[] = []
let joined = 0
let failed = 0
const settled = () => {
  if (joined + failed === n) process.send?.({ joined, failed })
}
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
  let done = false
  // A refused or dropped client counts once, whether it errors, closes, or both.
  const fail = () => {
    if (done) return
    done = true
    failed++
    settled()
  }
  ws.on('error', fail)
  ws.on('close', fail)
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string }
    if (frame.type === 'welcome')
      ws.send(JSON.stringify({ type: 'join', roomId: `room${i % rooms}`, username: `u${i}` }))
    else if (frame.type === 'joined' && !done) {
      done = true
      joined++
      settled()
    }
  })
  sockets.push(ws)
  // Open in batches so the accept queue never overflows.
  if (i % 250 === 249) await new Promise((resolve) => setTimeout(resolve, 30))
}
process.on('message', () => {
  for (const ws of sockets) ws.terminate()
  process.exit(0)
})
