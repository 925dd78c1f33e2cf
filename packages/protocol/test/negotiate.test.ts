import { describe, expect, it } from 'vitest'
import { negotiate } from '../src/index.js'

describe('negotiate', () => {
  it('no subprotocol offered → v1 JSON', () => {
    expect(negotiate([])).toBe('hubbub.v1.json')
  })
  it('picks the first known subprotocol in the client’s order', () => {
    expect(negotiate(['hubbub.v1.json'])).toBe('hubbub.v1.json')
    expect(negotiate(['hubbub.v1.msgpack', 'hubbub.v1.json'])).toBe('hubbub.v1.msgpack')
    expect(negotiate(['graphql-ws', ' hubbub.v1.json'])).toBe('hubbub.v1.json')
  })
  it('only unknown subprotocols → null (refuse the handshake)', () => {
    expect(negotiate(['graphql-ws'])).toBeNull()
    expect(negotiate(['hubbub.v2.json', 'HUBBUB.V1.JSON'])).toBeNull()
  })
  it('a server without msgpack falls back to JSON or refuses', () => {
    expect(negotiate(['hubbub.v1.msgpack', 'hubbub.v1.json'], ['hubbub.v1.json'])).toBe('hubbub.v1.json')
    expect(negotiate(['hubbub.v1.msgpack'], ['hubbub.v1.json'])).toBeNull()
  })
})
