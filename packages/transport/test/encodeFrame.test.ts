import { describe, expect, test } from 'vitest'
import { closePayload, encodeFrame, FrameParser, Opcode } from '../src/conformance.js'

describe('raw framer', () => {
  test.each([0, 5, 125, 126, 65_535, 65_536, 70_000])(
    'round-trips a %i-byte masked and unmasked frame',
    (len) => {
      const payload = new Uint8Array(len).map((_, i) => i & 0xff)
      for (const mask of [true, false]) {
        const parser = new FrameParser()
        const bytes = encodeFrame({ opcode: Opcode.binary, payload, mask })
        // fed in two pieces, as TCP may deliver it
        const frames = [...parser.push(bytes.subarray(0, 3)), ...parser.push(bytes.subarray(3))]
        expect(frames).toHaveLength(1)
        expect(frames[0]?.masked).toBe(mask)
        expect(frames[0]?.opcode).toBe(Opcode.binary)
        expect([...(frames[0]?.payload ?? [])]).toEqual([...payload])
      }
    },
  )

  test('sets FIN, RSV and opcode bits as asked, valid or not', () => {
    const bytes = encodeFrame({ opcode: 0x3, payload: 'x', fin: false, rsv: 4, mask: false })
    expect(bytes[0]).toBe(0x43)
    const [frame] = new FrameParser().push(bytes)
    expect(frame).toMatchObject({ fin: false, rsv: 4, opcode: 3 })
  })

  test('closePayload carries the code and reason', () => {
    const p = closePayload(1013, 'slow')
    expect(p.readUInt16BE(0)).toBe(1013)
    expect(p.subarray(2).toString()).toBe('slow')
  })
})
