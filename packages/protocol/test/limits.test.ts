import { describe, expect, it } from 'vitest'
import { createProtocol, decodeClientFrame, defaultLimits } from '../src/index.js'

const decode = (frame: object) => decodeClientFrame(JSON.stringify(frame), false)
const failurePath = (frame: object) => {
  const result = decode(frame)
  return result.ok ? 'accepted' : result.error.path
}

describe('each limit rejects at its boundary', () => {
  it('roomId: 1 and 64 chars pass, 0 and 65 chars fail', () => {
    expect(decode({ type: 'leave', roomId: 'a' }).ok).toBe(true)
    expect(decode({ type: 'leave', roomId: 'a'.repeat(64) }).ok).toBe(true)
    expect(failurePath({ type: 'leave', roomId: '' })).toEqual(['roomId'])
    expect(failurePath({ type: 'leave', roomId: 'a'.repeat(65) })).toEqual(['roomId'])
    // The hand-written fast path of `message` has the same bounds.
    expect(decode({ type: 'message', roomId: 'a'.repeat(64), text: 'x' }).ok).toBe(true)
    expect(failurePath({ type: 'message', roomId: '', text: 'x' })).toEqual(['roomId'])
    expect(failurePath({ type: 'message', roomId: 'a'.repeat(65), text: 'x' })).toEqual(['roomId'])
  })

  it('roomId: only letters, digits and _ . : - are allowed', () => {
    expect(decode({ type: 'leave', roomId: 'Az09_.:-' }).ok).toBe(true)
    for (const bad of ['a b', 'a/b', 'ä', 'a\n', '<script>', 'a#b', '🎉']) {
      expect(failurePath({ type: 'leave', roomId: bad })).toEqual(['roomId'])
      expect(failurePath({ type: 'message', roomId: bad, text: 'x' })).toEqual(['roomId'])
    }
  })

  it('username: 32 chars pass, 33 fail, measured after trimming; no control characters', () => {
    const join = (username: string) => decode({ type: 'join', roomId: 'r', username })
    expect(join('a'.repeat(32))).toEqual({
      ok: true,
      frame: { type: 'join', roomId: 'r', username: 'a'.repeat(32) },
    })
    expect(join(`  ${'a'.repeat(32)}\t `)).toMatchObject({ ok: true, frame: { username: 'a'.repeat(32) } })
    expect(join('x')).toMatchObject({ ok: true, frame: { username: 'x' } })
    expect(join('ann lee')).toMatchObject({ ok: true, frame: { username: 'ann lee' } })
    expect(failurePath({ type: 'join', roomId: 'r', username: 'a'.repeat(33) })).toEqual(['username'])
    for (const bad of ['', '   ', 'a\u0000b', 'a\nb', 'a\u007fb', 'a\u0085b', '\u001b[31m']) {
      expect(failurePath({ type: 'join', roomId: 'r', username: bad })).toEqual(['username'])
    }
    expect(failurePath({ type: 'private', to: 'a'.repeat(33), text: 'x' })).toEqual(['to'])
  })

  it('text: 2000 chars pass, 0 and 2001 fail', () => {
    expect(decode({ type: 'message', roomId: 'r', text: 'a'.repeat(2000) }).ok).toBe(true)
    expect(failurePath({ type: 'message', roomId: 'r', text: '' })).toEqual(['text'])
    expect(failurePath({ type: 'message', roomId: 'r', text: 'a'.repeat(2001) })).toEqual(['text'])
    expect(failurePath({ type: 'private', to: 'bob', text: 'a'.repeat(2001) })).toEqual(['text'])
  })

  it('id: 1–64 chars; get_history limit: 1–100 integers', () => {
    expect(decode({ type: 'ping', id: 'a'.repeat(64) }).ok).toBe(true)
    expect(failurePath({ type: 'ping', id: '' })).toEqual(['id'])
    expect(failurePath({ type: 'ping', id: 'a'.repeat(65) })).toEqual(['id'])
    expect(failurePath({ type: 'message', roomId: 'r', text: 'x', id: 'a'.repeat(65) })).toEqual(['id'])
    expect(failurePath({ type: 'message', roomId: 'r', text: 'x', id: 7 })).toEqual(['id'])
    expect(decode({ type: 'get_history', roomId: 'r', limit: 1 }).ok).toBe(true)
    expect(decode({ type: 'get_history', roomId: 'r', limit: 100 }).ok).toBe(true)
    expect(failurePath({ type: 'get_history', roomId: 'r', limit: 0 })).toEqual(['limit'])
    expect(failurePath({ type: 'get_history', roomId: 'r', limit: 101 })).toEqual(['limit'])
    expect(failurePath({ type: 'get_history', roomId: 'r', limit: 2.5 })).toEqual(['limit'])
  })

  it('extra fields are rejected, at every level, and named in the message', () => {
    const result = decode({ type: 'message', roomId: 'r', text: 'x', admin: true })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE', path: ['admin'] } })
    expect(result.ok || result.error.message.startsWith('admin:')).toBe(true)
    expect(failurePath({ type: 'join', roomId: 'r', since: { offset: 1, epoch: 'e', x: 1 } })).toEqual([
      'since',
      'x',
    ])
    expect(failurePath({ type: 'ping', constructor: 'x' })).toEqual(['constructor'])
  })

  it('a __proto__ key is rejected as an extra field and never reaches an object prototype', () => {
    for (const text of [
      '{"type":"message","roomId":"r","text":"x","__proto__":{"isAdmin":true}}',
      '{"__proto__":{"isAdmin":true},"type":"ping"}',
      '{"type":"join","roomId":"r","since":{"offset":1,"epoch":"e","__proto__":{"isAdmin":true}}}',
    ]) {
      const result = decodeClientFrame(text, false)
      expect(result.ok).toBe(false)
      expect(result.ok || result.error.path?.at(-1)).toBe('__proto__')
      expect(result.ok || result.error.code).toBe('INVALID_MESSAGE')
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  it('maxPayload: a frame of exactly maxPayload bytes passes, one byte more closes with 1009', () => {
    const small = createProtocol({ limits: { maxPayload: 100, textMaxLength: 1000 } })
    const frame = (n: number, pad = '') =>
      JSON.stringify({ type: 'message', roomId: 'r', text: `${pad}${'é'.repeat(n)}` })
    // `é` is 2 UTF-8 bytes: size the frame in bytes, not UTF-16 units.
    const overhead = Buffer.byteLength(frame(0))
    const fits = frame(Math.floor((100 - overhead) / 2), (100 - overhead) % 2 ? 'a' : '')
    expect(Buffer.byteLength(fits)).toBe(100)
    expect(small.decodeClientFrame(fits, false).ok).toBe(true)
    expect(small.decodeClientFrame(Buffer.from(fits), false).ok).toBe(true)
    const over = `${fits} `
    for (const data of [over, Buffer.from(over)]) {
      expect(small.decodeClientFrame(data, false)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_MESSAGE', close: 1009 },
      })
    }
    // Multi-byte characters count as bytes in the default 64 KiB limit too.
    const big = JSON.stringify({ type: 'message', roomId: 'r', text: '€'.repeat(22_000) })
    expect(big.length).toBeLessThan(defaultLimits.maxPayload)
    expect(decodeClientFrame(big, false)).toMatchObject({ ok: false, error: { close: 1009 } })
  })

  it('maxDepth: nesting is refused before it reaches a schema', () => {
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) })
    const shallow = createProtocol({ limits: { maxDepth: 3 } })
    // {type, since: {…}} is depth 2.
    expect(
      shallow.decodeClientFrame('{"type":"join","roomId":"r","since":{"offset":1,"epoch":"e"}}', false).ok,
    ).toBe(true)
    const tooDeep = JSON.stringify({ type: 'ping', x: nested(3) })
    expect(shallow.decodeClientFrame(tooDeep, false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', path: ['x', 'a', 'a'] },
    })
    // A deeply nested array far beyond any parser-friendly depth is still just an error.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expect(createProtocol({ limits: { maxPayload: 1 << 20 } }).decodeClientFrame(deep, false).ok).toBe(false)
  })

  it('createProtocol overrides limits; the rest keep their defaults', () => {
    const roomy = createProtocol({ limits: { roomIdMaxLength: 128, textMaxLength: 10 } })
    expect(roomy.limits.roomIdMaxLength).toBe(128)
    expect(roomy.limits.usernameMaxLength).toBe(defaultLimits.usernameMaxLength)
    expect(
      roomy.decodeClientFrame(JSON.stringify({ type: 'leave', roomId: 'a'.repeat(128) }), false).ok,
    ).toBe(true)
    expect(
      roomy.decodeClientFrame(JSON.stringify({ type: 'message', roomId: 'r', text: 'a'.repeat(10) }), false)
        .ok,
    ).toBe(true)
    expect(
      roomy.decodeClientFrame(JSON.stringify({ type: 'message', roomId: 'r', text: 'a'.repeat(11) }), false),
    ).toMatchObject({ ok: false, error: { path: ['text'] } })
    const shortNames = createProtocol({ limits: { usernameMaxLength: 1 } })
    expect(shortNames.decodeClientFrame('{"type":"join","roomId":"r","username":" x "}', false).ok).toBe(true)
    expect(shortNames.decodeClientFrame('{"type":"join","roomId":"r","username":"xy"}', false).ok).toBe(false)
  })
})
