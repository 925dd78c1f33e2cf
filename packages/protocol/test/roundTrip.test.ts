import { describe, expect, it } from 'vitest'
import {
  clientFrameTypes,
  decodeClientFrame,
  decodeServerFrame,
  encodeServerFrame,
  serverFrameTypes,
} from '../src/index.js'
import { createMsgpackCodec, msgpackCodec } from '../src/msgpack.js'
import { protocol } from '../src/protocol.js'
import { clientSamples, serverSamples } from './sampleFrames.js'

describe('every frame type round-trips', () => {
  it('samples cover every client and server frame type', () => {
    expect(new Set(clientSamples.map((f) => f.type))).toEqual(new Set(clientFrameTypes))
    expect(new Set(serverSamples.map((f) => f.type))).toEqual(new Set(serverFrameTypes))
  })

  it.each(clientSamples.map((f) => [f.type, f] as const))(
    'client %s: JSON text → decodeClientFrame',
    (_, frame) => {
      const text = JSON.stringify(frame)
      expect(decodeClientFrame(text, false)).toEqual({ ok: true, frame })
      // The same frame as UTF-8 bytes in a text frame.
      expect(decodeClientFrame(new TextEncoder().encode(text), false)).toEqual({ ok: true, frame })
    },
  )

  it.each(serverSamples.map((f) => [f.type, f] as const))(
    'server %s: encodeServerFrame → decode',
    (_, frame) => {
      const text = encodeServerFrame(frame)
      expect(JSON.parse(text)).toEqual(frame)
      expect(text).toBe(JSON.stringify(JSON.parse(text)))
      expect(decodeServerFrame(text)).toEqual({ ok: true, frame })
    },
  )

  it('encodes exactly what JSON.stringify would for a frame built in field order', () => {
    for (const frame of serverSamples) {
      expect(JSON.parse(encodeServerFrame(frame))).toStrictEqual(JSON.parse(JSON.stringify(frame)))
    }
  })

  it('msgpack round-trips every client and server frame', () => {
    const packr = createMsgpackCodec(protocol)
    for (const frame of serverSamples) {
      const bytes = msgpackCodec.encodeServerFrame(frame)
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(packr.decodeServerFrame(bytes)).toEqual({ ok: true, frame })
    }
    for (const frame of clientSamples) {
      // A client packs its frames the same way a server does.
      const bytes = msgpackCodec.encodeServerFrame(frame as never)
      expect(msgpackCodec.decodeClientFrame(bytes, true)).toEqual({ ok: true, frame })
    }
  })
})
