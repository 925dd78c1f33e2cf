import { onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { type Client, type ConnectOptions, connect } from '../src/index.js'

/** A client with a short backoff, closed when the test ends. */
export function testClient(url: string, options: ConnectOptions = {}): Client {
  const client = connect(url, {
    WebSocket: WebSocket as never,
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
    ...options,
  })
  onTestFinished(() => client.close())
  return client
}

type Emits = { on(type: string, listener: (value: any) => void): () => void }

/** Resolves with the next `type` event that satisfies `accept`. */
export function next<T = any>(
  emitter: Emits,
  type: string,
  accept: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const off = emitter.on(type, (value: T) => {
      if (!accept(value)) return
      off()
      resolve(value)
    })
  })
}

/** Every `type` event from now on, in order. */
export function record<T = any>(emitter: Emits, type: string): T[] {
  const out: T[] = []
  emitter.on(type, (value: T) => out.push(value))
  return out
}

/** Resolves once `check` holds, re-checking on every event of the listed types. */
export function until(emitter: Emits, types: string[], check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve()
    const offs = types.map((t) =>
      emitter.on(t, () => {
        if (!check()) return
        for (const off of offs) off()
        resolve()
      }),
    )
  })
}
