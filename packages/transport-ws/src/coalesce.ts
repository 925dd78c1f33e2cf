import type { Socket } from 'node:net'

/**
 * Frames sent or published to a socket during one turn of the event loop leave in one write: the
 * first frame corks the socket, and one `setImmediate` (after the turn's I/O, so every message read in
 * it has been published) uncorks every socket corked in the turn. A member of a busy room then
 * costs one syscall per turn instead of one per message, the way uWebSockets.js batches its
 * publishes. A socket someone else holds corked is written to as it is: it leaves with their uncork.
 */
const corked: Array<Socket | undefined> = []
let scheduled = false

function uncorkAll(): void {
  scheduled = false
  // a socket corked by a write from within this loop waits for the next turn's flush
  const n = corked.length
  for (let i = 0; i < n; i++) {
    const socket = corked[i]!
    corked[i] = undefined
    if (socket.writableCorked > 0) socket.uncork()
  }
  corked.splice(0, n)
}

/** Corks `socket` until the end of this turn (unless someone already holds it corked). */
export function corkForTurn(socket: Socket): void {
  if (socket.writableCorked !== 0) return
  socket.cork()
  corked.push(socket)
  if (!scheduled) {
    scheduled = true
    setImmediate(uncorkAll)
  }
}

/** `socket.write(frame)`, coalesced with the turn's other frames to the socket. */
export function writeCoalesced(socket: Socket, frame: Buffer): boolean {
  corkForTurn(socket)
  return socket.write(frame)
}
