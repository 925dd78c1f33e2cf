import { describe, expect, test } from 'vitest'
import {
  isOriginAllowed,
  resolveTransportOptions,
  TransportDefaults,
  type UpgradeRequest,
} from '../src/index.js'

const req = (origin: string | undefined, host = 'chat.example:7201'): UpgradeRequest => ({
  url: '/ws',
  path: '/ws',
  query: new URLSearchParams(),
  headers: { host },
  remoteAddress: '127.0.0.1',
  origin,
  protocols: [],
})

describe('isOriginAllowed', () => {
  test('default: same host only, null refused, absent allowed', () => {
    expect(isOriginAllowed(undefined, req('https://chat.example:7201'))).toBe(true)
    expect(isOriginAllowed(undefined, req('https://chat.example:7201.evil'))).toBe(false)
    expect(isOriginAllowed(undefined, req('https://evil.example'))).toBe(false)
    expect(isOriginAllowed(undefined, req('null'))).toBe(false)
    expect(isOriginAllowed(undefined, req('not a url'))).toBe(false)
    expect(isOriginAllowed(undefined, req(undefined))).toBe(true)
  })

  test('a list matches exactly; a look-alike suffix is refused', () => {
    const list = ['https://allowed.example.com']
    expect(isOriginAllowed(list, req('https://allowed.example.com'))).toBe(true)
    expect(isOriginAllowed(list, req('https://allowed.example.com.evil'))).toBe(false)
    expect(isOriginAllowed(list, req('null'))).toBe(false)
  })

  test("'*' allows all; a predicate decides alone", () => {
    expect(isOriginAllowed('*', req('null'))).toBe(true)
    expect(isOriginAllowed((o) => o === 'null', req('null'))).toBe(true)
    expect(isOriginAllowed(() => false, req(undefined))).toBe(false)
  })
})

test('resolveTransportOptions fills the shared defaults', () => {
  const r = resolveTransportOptions({ heartbeat: { intervalMs: 100 } })
  expect(r.heartbeatIntervalMs).toBe(100)
  expect(r.heartbeatMissedLimit).toBe(TransportDefaults.heartbeatMissedLimit)
  expect(r.maxPayload).toBe(65_536)
  expect(r.selectProtocol(['a', 'b'], req(undefined))).toBe('a')
  expect(r.selectProtocol([], req(undefined))).toBe('')
})
