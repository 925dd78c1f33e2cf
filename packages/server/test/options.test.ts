import { createServer as createHttpServer } from 'node:http'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, expectTypeOf, test } from 'vitest'
import { createServer, hmacAuth, ServerError, type ServerOptions, signToken } from '../src/index.js'

// Several checks here are on types: `pnpm typecheck` (tsc over test/) fails when a `@ts-expect-error`
// stops being needed or a line below stops compiling.

describe('a missing or empty secret is a clear ServerError', () => {
  const unset = process.env.HUBBUB_TEST_SECRET_THAT_IS_NOT_SET

  test('hmacAuth and signToken name the problem instead of failing on byteLength', async () => {
    expect(unset).toBeUndefined()
    for (const secret of [unset, '', new Uint8Array()]) {
      expect(() => hmacAuth({ secret: secret as string })).toThrow(ServerError)
      expect(() => hmacAuth({ secret: secret as string })).toThrow(/HMAC secret is (missing|empty)/)
      await expect(signToken(secret as string, { userId: 'u', name: 'n' })).rejects.toThrow(ServerError)
    }
    expect(() => hmacAuth({ secret: unset as never })).toThrow(/process\.env/)
  })

  test('broadcastSecret takes string | undefined (an unset variable leaves the route off); an empty one is refused', async () => {
    const server = createServer({ auth: { anonymous: true }, broadcastSecret: unset })
    await server.close()
    expect(() => createServer({ auth: { anonymous: true }, broadcastSecret: '' })).toThrow(
      /broadcastSecret is empty/,
    )
  })
})

test('presenceGraceMs must be a whole number of milliseconds', async () => {
  for (const presenceGraceMs of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expect(() => createServer({ auth: { anonymous: true }, presenceGraceMs })).toThrow(/presenceGraceMs/)
  }
  await createServer({ auth: { anonymous: true }, presenceGraceMs: 0 }).close()
})

test('presenceBatchMs must be a whole number of milliseconds up to a minute', async () => {
  for (const presenceBatchMs of [-1, 1.5, Number.NaN, 60_001]) {
    expect(() => createServer({ auth: { anonymous: true }, presenceBatchMs })).toThrow(/presenceBatchMs/)
  }
  await createServer({ auth: { anonymous: true }, presenceBatchMs: 0 }).close()
})

test('presenceBatchMaxMs: 1,000 ms by default, a whole number up to a minute, never below presenceBatchMs', async () => {
  for (const presenceBatchMaxMs of [-1, 1.5, Number.NaN, 60_001]) {
    expect(() => createServer({ auth: { anonymous: true }, presenceBatchMaxMs })).toThrow(
      /presenceBatchMaxMs must be a whole number of milliseconds from 0 to 60,000/,
    )
  }
  const byDefault = createServer({ auth: { anonymous: true } })
  await byDefault.ready
  expect(byDefault.rooms.env.presenceBatchMaxMs).toBe(1000)
  await byDefault.close()
  // Below presenceBatchMs it is no error: the window then never grows, it stays presenceBatchMs.
  const fixed = createServer({ auth: { anonymous: true }, presenceBatchMs: 100, presenceBatchMaxMs: 20 })
  await fixed.ready
  expect(fixed.rooms.env.presenceBatchMs).toBe(100)
  expect(fixed.rooms.env.presenceBatchMaxMs).toBe(100)
  await fixed.close()
  const zero = createServer({ auth: { anonymous: true }, presenceBatchMaxMs: 0 })
  await zero.ready
  expect(zero.rooms.env.presenceBatchMaxMs).toBe(50)
  await zero.close()
})

describe('options and the transport are typed from the transport factory', () => {
  test('transportOptions are the factory’s own options: a typo does not type-check', async () => {
    const host = createHttpServer()
    const options = {
      auth: { anonymous: true },
      transport: wsTransport,
      transportOptions: { server: host, backpressure: 'drop' },
    } satisfies ServerOptions<typeof wsTransport>
    expect(options.transportOptions.backpressure).toBe('drop')
    const make = () =>
      createServer({
        auth: { anonymous: true },
        transport: wsTransport,
        // @ts-expect-error: `backpresure` is not an option of wsTransport
        transportOptions: { backpresure: 'drop' },
      })
    expect(make).toBeTypeOf('function')
  })

  test('server.transport is the factory’s transport type, so handleRequest is reachable on ws', async () => {
    const server = createServer({ auth: { anonymous: true }, transport: wsTransport })
    try {
      expectTypeOf(server.transport.handleRequest).toBeFunction()
      expect(server.transport.handleRequest).toBeTypeOf('function')
    } finally {
      await server.close()
    }
  })
})
