import { Redis } from 'ioredis'
import { afterAll, describe, expect, test } from 'vitest'
import { RedisRoomLog } from '../src/index.js'
import { decodeLogFrame, encodeLogFrame } from '../src/LogFrameCodec.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

describe('LogFrameCodec', () => {
  test('a frame with bytes round-trips as msgpack; the bytes are a copy', () => {
    const update = new Uint8Array([0, 10, 123, 255])
    const encoded = encodeLogFrame({ type: 'yjs_update', roomId: 'r', update, n: 2 ** 40 })
    expect(encoded[0]).not.toBe(0x7b)
    const frame = decodeLogFrame(encoded)
    expect(frame).toMatchObject({ type: 'yjs_update', roomId: 'r', n: 2 ** 40 })
    expect(frame.update).toBeInstanceOf(Uint8Array)
    expect([...(frame.update as Uint8Array)]).toEqual([0, 10, 123, 255])
    encoded.fill(0)
    expect([...(frame.update as Uint8Array)]).toEqual([0, 10, 123, 255])
  })

  test('a JSON entry of an older version still decodes', () => {
    const json = Buffer.from(JSON.stringify({ type: 'message', text: 'héllo', from: 'ann' }))
    expect(decodeLogFrame(json)).toEqual({ type: 'message', text: 'héllo', from: 'ann' })
  })

  test('bytes that hold no frame throw', () => {
    expect(() => decodeLogFrame(Buffer.from('{not json'))).toThrow()
    expect(() => decodeLogFrame(encodeLogFrame([1, 2] as never))).toThrow(TypeError)
  })
})

describe.skipIf(redisSkipReason !== undefined)(
  'RedisRoomLog reads JSON entries written before msgpack',
  () => {
    const prefix = uniquePrefix('log-legacy')
    afterAll(() => deletePrefix(prefix))

    test('a JSON entry in the stream and a JSON arrival on the channel are delivered as frames', async () => {
      const log = new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 20 })
      const raw = new Redis(REDIS_URL)
      try {
        const roomId = 'legacy'
        const got: unknown[] = []
        const position = await log.open(roomId, (_room, frame) => got.push(frame))
        // What an older node wrote: offset 1 as JSON in the stream (read back by `read`).
        const old = { type: 'message', text: 'from an older node' }
        await raw.hincrby(`{${prefix}:${roomId}}:meta`, 'offset', 1)
        await raw.xadd(`{${prefix}:${roomId}}:stream`, '1-0', 'f', JSON.stringify(old))
        const read = await log.read(roomId, { limit: 10 })
        expect(read.messages).toEqual([{ ...old, offset: 1 }])
        // ... and published as JSON on the channel, as the older script did.
        await raw.publish(`{${prefix}:${roomId}}:log`, `${position.epoch}\n1\n${JSON.stringify(old)}`)
        await log.publish(roomId, { type: 'message', text: 'new', data: new Uint8Array([1, 2]) })
        await expect.poll(() => got.length, { timeout: 10_000 }).toBe(2)
        expect(got[0]).toEqual({ ...old, offset: 1 })
        expect(got[1]).toMatchObject({ text: 'new', offset: 2 })
        expect([...(got[1] as { data: Uint8Array }).data]).toEqual([1, 2])
      } finally {
        raw.disconnect()
        await log.disconnect()
      }
    })
  },
)
