import { describe, expectTypeOf, it } from 'vitest'
import type { z } from 'zod'
import type {
  ClientFrame,
  JoinFrame,
  MessageFrame,
  RoomMessageFrame,
  ServerFrame,
  schemas,
} from '../src/index.js'

describe('the hand-written frame types are exactly what the schemas accept and produce', () => {
  it('client frames', () => {
    expectTypeOf<z.output<typeof schemas.clientFrame>>().toEqualTypeOf<ClientFrame>()
    expectTypeOf<z.input<typeof schemas.clientFrame>>().toEqualTypeOf<ClientFrame>()
    expectTypeOf<z.output<typeof schemas.client.join>>().toEqualTypeOf<JoinFrame>()
    expectTypeOf<z.output<typeof schemas.client.message>>().toEqualTypeOf<MessageFrame>()
  })
  it('server frames', () => {
    expectTypeOf<z.output<typeof schemas.serverFrame>>().toEqualTypeOf<ServerFrame>()
    expectTypeOf<z.output<typeof schemas.server.message>>().toEqualTypeOf<RoomMessageFrame>()
  })
})
