import { describe, expect, test } from 'vitest'
import type { Frame } from '../support/harness.js'
import { check, stamp } from './deliveryChecker.js'

let offset = 0
const msg = (publisher: string, seq: number): Frame => ({
  type: 'message',
  roomId: 'r',
  text: stamp(publisher, seq),
  offset: ++offset,
})
const expected = new Map([['p', { from: 0, to: 4 }]])

describe('the delivery checker', () => {
  test('a clean stream', () => {
    expect(
      check(
        [0, 1, 2, 3].map((i) => msg('p', i)),
        'r',
        expected,
      ),
    ).toEqual({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      gaps: 0,
    })
  })

  test('finds lost, duplicated and reordered messages', () => {
    const frames = [msg('p', 0), msg('p', 2), msg('p', 1), msg('p', 2)]
    expect(check(frames, 'r', expected)).toEqual({ lost: 1, duplicated: 1, reordered: 1, gaps: 0 })
  })

  test('counts a gap the server reported apart from silent loss', () => {
    offset = 0
    const first = msg('p', 0)
    offset = 3 // offsets 2 and 3 (seq 1, 2) are gone
    const history: Frame = { type: 'history', roomId: 'r', recovered: false, messages: [msg('p', 3)] }
    expect(check([first, history], 'r', expected)).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 2 })
  })
})
