import type { ClientFrame, FrameCodec, ServerFrame } from '@hubbub/protocol'
import { describe, expectTypeOf, it } from 'vitest'
import { type Client, type CustomClientFrameOf, type CustomServerFrameOf, connect } from '../src/index.js'

// The shape `defineMessages` returns (Messages<C, S> extends exactly this), written out because the
// client package does not depend on zod.
type Move = { type: 'move'; id?: string; roomId: string; cell: number }
type State = { type: 'state'; replyTo?: string; board: number[] }
type Game = FrameCodec<ClientFrame | Move, ServerFrame | State>

describe('custom frames are typed from a defineMessages codec', () => {
  it('types client.send/request and the custom events, and keeps built-in frames out', () => {
    expectTypeOf<CustomClientFrameOf<Game>>().toEqualTypeOf<Move>()
    expectTypeOf<CustomServerFrameOf<Game>>().toEqualTypeOf<State>()
    const typed = (client: Client<Game>) => {
      client.send({ type: 'move', roomId: 'g', cell: 4 })
      // @ts-expect-error: not one of the app's frames
      client.send({ type: 'jump', roomId: 'g' })
      // @ts-expect-error: built-in frames go through their own methods
      client.send({ type: 'message', roomId: 'g', text: 'x' })
      client.on('custom', (frame) => expectTypeOf(frame.board).toEqualTypeOf<number[]>())
    }
    expectTypeOf(typed).toBeFunction()
    expectTypeOf(connect<Game>).returns.toEqualTypeOf<Client<Game>>()
  })
})
