import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, connect } from '../src/index.js'

/**
 * An in-memory stand-in for a WebSocket, only for the fake-timer tests: fake timers cannot drive real
 * sockets, and these tests are about the client's own schedule (backoff, heartbeat), not the wire.
 */
class MemorySocket {
  static all: MemorySocket[] = []
  readyState = 1
  sent: any[] = []
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  terminated = false
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    MemorySocket.all.push(this)
  }
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {}
  terminate() {
    this.terminated = true
  }
  drop(code = 1006) {
    this.onclose?.({ code, reason: '' })
  }
  welcome(heartbeatMs = 30_000) {
    const frame = {
      type: 'welcome',
      connectionId: 'c',
      protocol: 1,
      serverTime: 0,
      heartbeatMs,
      presenceGraceMs: 0,
    }
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  static get last(): MemorySocket {
    return MemorySocket.all.at(-1)!
  }
}

beforeEach(() => {
  MemorySocket.all = []
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('backoffDelay', () => {
  const options = { minMs: 100, maxMs: 5000, factor: 2, jitter: 0.5 }

  it('grows by factor from minMs, is capped at maxMs, and jitter only shortens within bounds', () => {
    const none = (attempt: number) => backoffDelay(attempt, options, () => 0)
    const full = (attempt: number) => backoffDelay(attempt, options, () => 1)
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(none)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
    expect([0, 1, 2, 3, 6].map(full)).toEqual([100, 100, 200, 400, 2500])
    for (let attempt = 0; attempt < 20; attempt++) {
      for (const r of [0, 0.25, 0.5, 0.999]) {
        const delay = backoffDelay(attempt, options, () => r)
        expect(delay).toBeGreaterThanOrEqual(options.minMs)
        expect(delay).toBeLessThanOrEqual(options.maxMs)
      }
    }
  })

  it('spreads delays when jitter is set and not at all when it is 0', () => {
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(5, options)))
    expect(spread.size).toBeGreaterThan(1)
    const exact = new Set(Array.from({ length: 50 }, () => backoffDelay(5, { ...options, jitter: 0 })))
    expect([...exact]).toEqual([3200])
  })
})

describe('reconnect schedule (fake timers)', () => {
  it('waits the announced delay, stays within bounds, and starts over after a successful connect', () => {
    const reconnect = { minMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }
    const client = connect('ws://x/ws', { WebSocket: MemorySocket as never, reconnect })
    const delays: number[] = []
    client.on('reconnecting', (e) => delays.push(e.delayMs))
    const failOnce = () => {
      const before = MemorySocket.all.length
      MemorySocket.last.drop()
      const delay = delays.at(-1)!
      vi.advanceTimersByTime(delay - 1)
      expect(MemorySocket.all.length).toBe(before)
      vi.advanceTimersByTime(1)
      expect(MemorySocket.all.length).toBe(before + 1)
    }
    for (let i = 0; i < 7; i++) failOnce()
    delays.forEach((delay, attempt) => {
      const base = Math.min(reconnect.maxMs, reconnect.minMs * reconnect.factor ** attempt)
      expect(delay).toBeGreaterThanOrEqual(Math.max(reconnect.minMs, base * (1 - reconnect.jitter)))
      expect(delay).toBeLessThanOrEqual(base)
    })
    expect(delays.at(-1)).toBeGreaterThanOrEqual(500)
    MemorySocket.last.welcome()
    expect(client.state).toBe('open')
    failOnce()
    expect(delays.at(-1)).toBe(100)
    client.close()
  })

  it('does not reconnect after close codes 1000 and 4401, after close(), or with reconnect: false', () => {
    for (const [code, options] of [
      [1000, {}],
      [4401, {}],
      [1006, { reconnect: false as const }],
    ] as const) {
      MemorySocket.all = []
      const client = connect('ws://x/ws', { WebSocket: MemorySocket as never, ...options })
      MemorySocket.last.welcome()
      MemorySocket.last.drop(code)
      vi.advanceTimersByTime(60_000)
      expect(client.state).toBe('closed')
      expect(MemorySocket.all).toHaveLength(1)
    }
    MemorySocket.all = []
    const client = connect('ws://x/ws', { WebSocket: MemorySocket as never })
    MemorySocket.last.drop()
    client.close()
    vi.advanceTimersByTime(60_000)
    expect(MemorySocket.all).toHaveLength(1)
    expect(client.state).toBe('closed')
  })

  it('pings when idle and declares the link dead after 2 × heartbeatMs of silence', () => {
    const client = connect('ws://x/ws', {
      WebSocket: MemorySocket as never,
      reconnect: { minMs: 10, maxMs: 10 },
    })
    const socket = MemorySocket.last
    socket.welcome(1000)
    vi.advanceTimersByTime(999)
    expect(socket.sent).toEqual([])
    vi.advanceTimersByTime(1)
    expect(socket.sent).toEqual([{ type: 'ping' }])
    // Traffic from the server keeps the link alive.
    socket.onmessage?.({ data: JSON.stringify({ type: 'pong', timestamp: 1 }) })
    vi.advanceTimersByTime(1500)
    expect(client.state).toBe('open')
    vi.advanceTimersByTime(500)
    expect(socket.terminated).toBe(true)
    expect(client.state).toBe('reconnecting')
    vi.advanceTimersByTime(10)
    expect(MemorySocket.all).toHaveLength(2)
    client.close()
  })

  it('announces connecting, then open, then reconnecting and closed as state events', async () => {
    const client = connect('ws://x/ws', {
      WebSocket: MemorySocket as never,
      reconnect: { minMs: 10, maxMs: 10 },
    })
    const states: string[] = []
    client.on('state', (state) => states.push(state))
    await Promise.resolve()
    MemorySocket.last.welcome()
    MemorySocket.last.drop()
    vi.advanceTimersByTime(10)
    MemorySocket.last.welcome()
    client.close()
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed'])
  })

  it('paces outgoing frames under the server rate limit instead of letting the server drop them', () => {
    const client = connect('ws://x/ws', {
      WebSocket: MemorySocket as never,
      rate: { perSecond: 10, burst: 5 },
      queue: { max: 1000 },
    })
    const socket = MemorySocket.last
    socket.welcome()
    for (let i = 0; i < 30; i++) client.private('bob', `m${i}`).catch(() => {})
    expect(socket.sent).toHaveLength(5)
    vi.advanceTimersByTime(100)
    expect(socket.sent).toHaveLength(6)
    vi.advanceTimersByTime(900)
    expect(socket.sent).toHaveLength(15)
    vi.advanceTimersByTime(10_000)
    expect(socket.sent.map((f) => f.text)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`))
    client.close()
  })

  it('checks no liveness when the server announces heartbeatMs: 0', () => {
    const client = connect('ws://x/ws', { WebSocket: MemorySocket as never })
    MemorySocket.last.welcome(0)
    vi.advanceTimersByTime(10 * 60_000)
    expect(MemorySocket.last.sent).toEqual([])
    expect(client.state).toBe('open')
    client.close()
  })

  it('passes a token as the hubbub.token subprotocol, asking a token function again on each reconnect', async () => {
    let n = 0
    const client = connect('ws://x/ws', {
      WebSocket: MemorySocket as never,
      token: async () => `t${++n}`,
      reconnect: { minMs: 10, maxMs: 10 },
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(MemorySocket.last.protocols).toEqual(['hubbub.v1.json', 'hubbub.token.t1'])
    MemorySocket.last.drop()
    await vi.advanceTimersByTimeAsync(10)
    expect(MemorySocket.last.protocols).toEqual(['hubbub.v1.json', 'hubbub.token.t2'])
    client.close()
  })
})
