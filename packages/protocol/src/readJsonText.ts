import { CloseCode } from './CloseCode.js'
import type { DecodeError } from './DecodeResult.js'

export type ReadResult = { ok: true; value: unknown } | { ok: false; error: DecodeError }

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Turns one WebSocket message of the JSON subprotocol into a parsed value, enforcing the frame kind
 * (text only), the byte size and UTF-8 validity. Never throws.
 */
export function readJsonText(data: string | Uint8Array, isBinary: boolean, maxPayload: number): ReadResult {
  if (isBinary) {
    return fail(
      'INVALID_MESSAGE',
      'binary frames are not accepted on hubbub.v1.json',
      CloseCode.UNSUPPORTED_DATA,
    )
  }
  let text: string
  if (typeof data === 'string') {
    // A UTF-16 unit is at most 3 UTF-8 bytes, so only long strings need counting.
    if (data.length > maxPayload || (data.length * 3 > maxPayload && utf8Length(data) > maxPayload)) {
      return tooLarge(maxPayload)
    }
    text = data
  } else {
    if (data.byteLength > maxPayload) return tooLarge(maxPayload)
    try {
      text = utf8.decode(data)
    } catch {
      return fail('INVALID_JSON', 'frame is not valid UTF-8', CloseCode.INVALID_PAYLOAD)
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    // Deep nesting can overflow the parser's stack: that is a RangeError, still just bad input.
    const reason = err instanceof SyntaxError ? err.message : 'nested too deeply'
    return fail('INVALID_JSON', `frame is not valid JSON: ${reason}`)
  }
}

function tooLarge(maxPayload: number): ReadResult {
  return fail('INVALID_MESSAGE', `frame is larger than ${maxPayload} bytes`, CloseCode.MESSAGE_TOO_BIG)
}

function fail(code: DecodeError['code'], message: string, close?: CloseCode): ReadResult {
  return { ok: false, error: close === undefined ? { code, message } : { code, message, close } }
}

/** UTF-8 byte length of a string (lone surrogates count as the 3-byte replacement character). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}
