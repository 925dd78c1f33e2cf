import type { Socket } from 'node:net'
import { rawUpgrade } from '@hubbub/transport/testing'

/**
 * The subscriber side of a fan-out bench, run in its own process (pinned to its
 * own core): holds N raw WebSocket connections and counts delivered frames with
 * a header-only parser, so counting stays far cheaper than the server's work.
 *
 * IPC in: {type:'count'} → out: {type:'count', delivered, open}
 * argv: <port> <connections>
 */
const [portArg = '0', countArg = '1000'] = process.argv.slice(2)
const port = Number(portArg)
const connections = Number(countArg)

let delivered = 0
let open = 0

/** Counts whole data frames in a stream of server frames, skipping payloads without copying. */
function frameCounter(): (chunk: Buffer) => void {
  let skip = 0
  let partial: Buffer | undefined
  return (input) => {
    let chunk = partial ? Buffer.concat([partial, input]) : input
    partial = undefined
    let i = 0
    if (skip > 0) {
      const n = Math.min(skip, chunk.length)
      skip -= n
      i = n
    }
    while (i < chunk.length) {
      if (chunk.length - i < 2) {
        partial = chunk.subarray(i)
        return
      }
      const b0 = chunk[i] as number
      let len = (chunk[i + 1] as number) & 0x7f
      let header = 2
      if (len === 126) {
        if (chunk.length - i < 4) {
          partial = chunk.subarray(i)
          return
        }
        len = chunk.readUInt16BE(i + 2)
        header = 4
      } else if (len === 127) {
        if (chunk.length - i < 10) {
          partial = chunk.subarray(i)
          return
        }
        len = Number(chunk.readBigUInt64BE(i + 2))
        header = 10
      }
      const opcode = b0 & 0x0f
      if (opcode === 1 || opcode === 2 || opcode === 0) {
        if (b0 & 0x80) delivered++
      }
      const end = i + header + len
      if (end > chunk.length) {
        skip = end - chunk.length
        chunk = chunk.subarray(0, 0)
        return
      }
      i = end
    }
  }
}

async function open1(): Promise<Socket> {
  const { status, socket, rest } = await rawUpgrade(port)
  if (status !== 101) {
    socket.destroy()
    throw new Error(`upgrade refused with ${status}`)
  }
  socket.setNoDelay(true)
  open++
  const count = frameCounter()
  if (rest.length) count(rest)
  socket.on('data', count)
  socket.on('close', () => open--)
  socket.resume()
  return socket
}

const sockets: Socket[] = []
for (let i = 0; i < connections; i += 50) {
  const batch = Math.min(50, connections - i)
  sockets.push(...(await Promise.all(Array.from({ length: batch }, open1))))
}
process.send?.({ type: 'ready', open })
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'count') process.send?.({ type: 'count', delivered, open })
  if (msg.type === 'exit') {
    for (const s of sockets) s.destroy()
    process.exit(0)
  }
})
