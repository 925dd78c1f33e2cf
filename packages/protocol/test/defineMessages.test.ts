import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  type ClientFrame,
  createProtocol,
  defineMessages,
  type InferClientFrame,
  type InferServerFrame,
  ProtocolError,
  type ServerFrame,
} from '../src/index.js'
import { createMsgpackCodec } from '../src/msgpack.js'

const game = defineMessages(
  { move: z.object({ roomId: z.string(), x: z.int().min(0).max(9), y: z.int().min(0).max(9) }) },
  { moved: z.object({ roomId: z.string(), by: z.string(), x: z.int(), y: z.int() }) },
)

describe('defineMessages: an app’s own frames, validated and typed like built-in ones', () => {
  it('decodes custom client frames and still decodes every built-in one', () => {
    const result = game.decodeClientFrame('{"type":"move","id":"mv1","roomId":"g","x":3,"y":4}', false)
    expect(result).toEqual({ ok: true, frame: { type: 'move', id: 'mv1', roomId: 'g', x: 3, y: 4 } })
    expect(game.decodeClientFrame('{"type":"message","roomId":"g","text":"gg"}', false).ok).toBe(true)
    if (result.ok && result.frame.type === 'move') {
      expectTypeOf(result.frame.x).toEqualTypeOf<number>()
      expectTypeOf(result.frame.id).toEqualTypeOf<string | undefined>()
    }
    expectTypeOf<InferClientFrame<typeof game>>().toEqualTypeOf<
      ClientFrame | ({ type: 'move'; id?: string } & { roomId: string; x: number; y: number })
    >()
  })

  it('custom frames are strict and validated: bad fields, extra fields, __proto__', () => {
    expect(game.decodeClientFrame('{"type":"move","roomId":"g","x":10,"y":4}', false)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', path: ['x'], message: expect.stringMatching(/^x: /) },
    })
    expect(game.decodeClientFrame('{"type":"move","roomId":"g","x":1,"y":4,"cheat":1}', false)).toMatchObject(
      {
        ok: false,
        error: { path: ['cheat'] },
      },
    )
    expect(
      game.decodeClientFrame('{"type":"move","roomId":"g","x":1,"y":4,"__proto__":{}}', false),
    ).toMatchObject({
      ok: false,
      error: { path: ['__proto__'] },
    })
    // The default protocol does not know `move`.
    expect(
      createProtocol().decodeClientFrame('{"type":"move","roomId":"g","x":1,"y":1}', false),
    ).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_MESSAGE' },
    })
    expect(game.isClientFrameType('move')).toBe(true)
    expect(game.isServerFrameType('moved')).toBe(true)
    expect(game.clientTypes).toEqual(['move'])
  })

  it('custom server frames are encoded with JSON and decoded by the schemas', () => {
    const frame = { type: 'moved', roomId: 'g', by: 'alice', x: 3, y: 4 } as const
    const text = game.encodeServerFrame(frame)
    expect(game.decodeServerFrame(text)).toEqual({ ok: true, frame })
    expect(game.decodeServerFrame('{"type":"moved","roomId":"g"}')).toMatchObject({ ok: false })
    expectTypeOf<InferServerFrame<typeof game>>().toEqualTypeOf<
      | ServerFrame
      | ({ type: 'moved'; replyTo?: string } & { roomId: string; by: string; x: number; y: number })
    >()
    // @ts-expect-error a custom server frame must carry its fields
    game.encodeServerFrame({ type: 'moved', roomId: 'g' })
  })

  it('works with msgpack and with a protocol of its own limits', () => {
    const packed = createMsgpackCodec(game)
    const bytes = packed.encodeServerFrame({ type: 'moved', roomId: 'g', by: 'a', x: 1, y: 2 })
    expect(packed.decodeServerFrame(bytes)).toMatchObject({ ok: true, frame: { type: 'moved' } })
    const move = packed.encodeServerFrame({ type: 'move', roomId: 'g', x: 1, y: 2 } as never)
    expect(packed.decodeClientFrame(move, true)).toMatchObject({ ok: true, frame: { type: 'move', x: 1 } })
    const tiny = createProtocol({ limits: { idMaxLength: 2 } }).defineMessages({
      cursor: z.object({ at: z.int() }),
    })
    expect(tiny.decodeClientFrame('{"type":"cursor","at":1,"id":"abc"}', false)).toMatchObject({
      ok: false,
      error: { path: ['id'] },
    })
  })

  it('keeps the app’s own refinements', () => {
    const chess = defineMessages({
      castle: z
        .object({ side: z.enum(['king', 'queen']), rank: z.int() })
        .refine((m) => m.rank === 1 || m.rank === 8, {
          path: ['rank'],
          message: 'castling happens on rank 1 or 8',
        }),
    })
    expect(chess.decodeClientFrame('{"type":"castle","side":"king","rank":8}', false).ok).toBe(true)
    expect(chess.decodeClientFrame('{"type":"castle","side":"king","rank":4}', false)).toMatchObject({
      ok: false,
      error: { path: ['rank'], message: 'rank: castling happens on rank 1 or 8' },
    })
  })

  it('refuses built-in names and non-object schemas at definition time', () => {
    expect(() => defineMessages({ message: z.object({}) })).toThrow(ProtocolError)
    expect(() => defineMessages({}, { welcome: z.object({}) })).toThrow(/built-in server frame/)
    expect(() => defineMessages({ move: z.string() as never })).toThrow(/must be a z.object/)
  })
})
