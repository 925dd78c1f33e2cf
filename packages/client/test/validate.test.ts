import { protocol } from '@hubbub/protocol'
import { describe, expect, it } from 'vitest'
import { HubbubError } from '../src/index.js'
import { zodValidation } from '../src/validate.js'
import { next, record } from './helpers.js'
import { joinAsMe, message } from './scriptedServer.js'

describe('@hubbub/client/validate', () => {
  it('refuses what the light check lets through (strict zod schemas) and accepts valid frames', () => {
    const validate = zodValidation()
    expect(validate(message(1))).toBeUndefined()
    // The light check tolerates extra fields; the strict schema does not.
    expect(validate({ ...message(1), extra: true })).toMatch(/INVALID_MESSAGE/)
    expect(validate({ ...message(1), offset: -1 })).toMatch(/offset/)
    expect(validate({ type: 'state', board: [] })).toMatch(/UNKNOWN_MESSAGE/)
    expect(zodValidation(protocol)(message(2))).toBeUndefined()
  })

  it('plugs into connect(): refused frames become INVALID_FRAME errors and never reach the room', async () => {
    const { client, joining, peer } = await joinAsMe({ validate: zodValidation() })
    await peer.acceptJoin()
    const room = await joining
    const errors = record<HubbubError>(client, 'error')
    peer.send({ ...message(1), sneaky: 1 }, message(1))
    const delivered = await next(room, 'message')
    expect(delivered).toEqual(message(1))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(HubbubError)
    expect(errors[0]!.code).toBe('INVALID_FRAME')
  })
})
