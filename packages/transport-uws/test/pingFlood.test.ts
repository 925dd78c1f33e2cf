import { encodeFrame, Opcode, RawClient, waitFor } from '@hubbub/transport/testing'
import { describe, expect, test } from 'vitest'
import { start } from './helpers.js'

const maxBackpressure = 64 * 1024
const ping = encodeFrame({ opcode: Opcode.ping, payload: new Uint8Array(100) })

/** A raw client that stops reading, and its connection on the server side with the code it closed with. */
async function flooder(backpressure: 'close' | 'drop') {
  const { port, connections } = await start({ maxBackpressure, backpressure, heartbeat: { intervalMs: 0 } })
  const c = await RawClient.connect(port)
  await waitFor(() => connections.length === 1, 5000, 'the connection')
  const conn = connections[0]!
  const state: { code?: number } = {}
  conn.onClose((code) => {
    state.code = code
  })
  c.pause()
  /** Writes `batches` × 1,000 pings (stopping early once the server closed), honouring the socket's own backpressure. */
  const flood = async (batches: number) => {
    for (let b = 0; b < batches && state.code === undefined && !c.socket.destroyed; b++) {
      if (!c.socket.write(Buffer.concat(Array.from({ length: 1000 }, () => ping))))
        await new Promise((r) => c.socket.once('drain', r).once('close', r))
    }
  }
  return { c, conn, state, flood }
}

describe('a ping flood from a client that never reads', () => {
  test("'close' policy: the slow consumer's 1013, which the client reads once it reads again", async () => {
    const { c, state, flood } = await flooder('close')
    // ~10 MB of pings: uWS answers each with a pong that piles up in the unread socket
    await flood(100)
    await waitFor(() => state.code !== undefined, 10_000, 'the server to close the flooder')
    expect(state.code).toBe(1013)
    c.resume()
    expect((await c.closed).code).toBe(1013)
  })

  test("'drop' policy: pongs over the limit are dropped, the buffer stays bounded, the connection stays", async () => {
    const { c, conn, state, flood } = await flooder('drop')
    await flood(50)
    // the server has read the flood once the buffer reached the limit and stays there
    await waitFor(() => conn.bufferedAmount >= maxBackpressure, 10_000, 'the buffer to reach the limit')
    await flood(10)
    expect(conn.bufferedAmount).toBeLessThanOrEqual(maxBackpressure + 2 * ping.length)
    expect(state.code).toBeUndefined()
    c.resume()
    await waitFor(() => conn.bufferedAmount === 0, 10_000, 'the pongs to drain')
    expect(conn.send('still here')).not.toBe('dropped')
    await waitFor(() => c.messages.some((m) => m.data === 'still here'), 10_000, 'a message after the flood')
  })
})
