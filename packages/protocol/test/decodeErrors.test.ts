import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  CloseCode,
  decodeClientFrame,
  defineMessages,
  ErrorCode,
  errorCodes,
  toErrorFrame,
  validateClientFrame,
} from '../src/index.js'
import { msgpackCodec } from '../src/msgpack.js'

describe('each decode error code comes from a concrete input', () => {
  it('INVALID_JSON: text that is not JSON', () => {
    for (const text of ['{bad', '', 'undefined', '{"type":"ping"', "{'type':'ping'}"]) {
      expect(decodeClientFrame(text, false)).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } })
    }
  })

  it('INVALID_JSON with close 1007: a text frame that is not UTF-8', () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
    expect(decodeClientFrame(bytes, false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_JSON', close: CloseCode.INVALID_PAYLOAD },
    })
  })

  it('INVALID_MESSAGE names the failing field path', () => {
    const result = decodeClientFrame('{"type":"join","roomId":"r","since":{"offset":"7","epoch":"e"}}', false)
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE', path: ['since', 'offset'] } })
    expect(result.ok || result.error.message).toMatch(/^since\.offset: /)
    expect(decodeClientFrame('{"type":"message","roomId":"r"}', false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', path: ['text'], message: expect.stringMatching(/^text: /) },
    })
  })

  it('INVALID_MESSAGE: JSON that is not an object, or has no string type', () => {
    for (const text of ['[]', '1', 'null', '"ping"', 'true', '{}', '{"type":7}', '{"type":null}']) {
      expect(decodeClientFrame(text, false)).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } })
    }
    expect(decodeClientFrame('{}', false)).toMatchObject({ ok: false, error: { path: ['type'] } })
  })

  it('INVALID_MESSAGE with close 1003: a binary frame on JSON, a text frame on msgpack', () => {
    expect(decodeClientFrame(new TextEncoder().encode('{"type":"ping"}'), true)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', close: CloseCode.UNSUPPORTED_DATA },
    })
    expect(msgpackCodec.decodeClientFrame('{"type":"ping"}', false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', close: CloseCode.UNSUPPORTED_DATA },
    })
  })

  it('UNKNOWN_MESSAGE: a well-formed frame of a type nobody defined', () => {
    expect(decodeClientFrame('{"type":"teleport","roomId":"r"}', false)).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_MESSAGE', message: 'unknown message type "teleport"' },
    })
    // Server frame types are not client frame types.
    expect(decodeClientFrame('{"type":"welcome"}', false)).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_MESSAGE' },
    })
  })

  it('carries the frame id as replyTo whenever the id itself is readable', () => {
    expect(decodeClientFrame('{"type":"teleport","id":"t1"}', false)).toMatchObject({
      error: { replyTo: 't1' },
    })
    expect(decodeClientFrame('{"type":"message","id":"m1","roomId":"r"}', false)).toMatchObject({
      error: { replyTo: 'm1' },
    })
    const badId = decodeClientFrame('{"type":"ping","id":""}', false)
    expect(badId.ok || 'replyTo' in badId.error).toBe(false)
  })

  it('msgpack: bytes that are not msgpack are INVALID_JSON; same validation as JSON otherwise', () => {
    expect(msgpackCodec.decodeClientFrame(new Uint8Array([0x82, 0xa1]), true)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_JSON' },
    })
    const packed = msgpackCodec.encodeServerFrame({ type: 'leave', roomId: 'a b' } as never)
    expect(msgpackCodec.decodeClientFrame(packed, true)).toMatchObject({
      ok: false,
      error: { path: ['roomId'] },
    })
    const proto = msgpackCodec.encodeServerFrame(JSON.parse('{"type":"ping","__proto__":{"x":1}}'))
    expect(msgpackCodec.decodeClientFrame(proto, true)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    })
  })

  it('toErrorFrame turns a refusal into the error frame that answers it', () => {
    const result = decodeClientFrame('{"type":"teleport","id":"t1"}', false)
    expect(result.ok || toErrorFrame(result.error)).toEqual({
      type: 'error',
      code: 'UNKNOWN_MESSAGE',
      message: 'unknown message type "teleport"',
      replyTo: 't1',
    })
    const noId = decodeClientFrame('{bad', false)
    expect(noId.ok || 'replyTo' in toErrorFrame(noId.error)).toBe(false)
  })

  it('never throws, even for inputs the types forbid', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
        ownKeys() {
          throw new Error('trap')
        },
      },
    )
    for (const data of [null, undefined, 42, {}, [], new ArrayBuffer(2), hostile] as never[]) {
      expect(decodeClientFrame(data, false).ok).toBe(false)
      expect(decodeClientFrame(data, true).ok).toBe(false)
      expect(msgpackCodec.decodeClientFrame(data, true).ok).toBe(false)
      expect(validateClientFrame(data).ok).toBe(false)
    }
    const throwing = defineMessages({
      boom: z.object({}).refine(() => {
        throw new Error('app bug')
      }),
    })
    expect(throwing.decodeClientFrame('{"type":"boom"}', false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    })
  })

  it('ErrorCode and CloseCode hold exactly the codes of the protocol document', () => {
    expect(errorCodes).toEqual([
      'INVALID_JSON',
      'INVALID_MESSAGE',
      'UNKNOWN_MESSAGE',
      'INVALID_USERNAME',
      'USERNAME_TAKEN',
      'ALREADY_IN_ROOM',
      'NOT_IN_ROOM',
      'NOT_IDENTIFIED',
      'USER_NOT_FOUND',
      'ROOM_LIMIT',
      'RATE_LIMITED',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'SERVER_SHUTDOWN',
      'INTERNAL',
      'UNAVAILABLE',
      'ROOM_RESET',
    ])
    expect(Object.keys(ErrorCode)).toEqual(errorCodes)
    expect(Object.values(CloseCode).sort()).toEqual([
      1000, 1001, 1003, 1007, 1008, 1009, 1011, 1013, 4401, 4401,
    ])
  })
})
