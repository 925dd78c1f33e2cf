import { describe, expect, it } from 'vitest'
import { matchTopic, toGlobPattern } from '../src/index.js'

/** A literal implementation of Redis glob matching (`*`, `?`, `[...]`, `\` escapes) for the subset we emit. */
function globMatch(glob: string, text: string): boolean {
  let re = '^'
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!
    if (ch === '\\') re += `\\${glob[++i]}`
    else if (ch === '*') re += '.*'
    else re += ch.replace(/[.+^${}()|?[\]\\]/g, '\\$&')
  }
  return new RegExp(`${re}$`, 's').test(text)
}

describe('toGlobPattern', () => {
  it('maps * and # onto Redis glob syntax', () => {
    expect(toGlobPattern('room.*.message')).toBe('room.*.message')
    expect(toGlobPattern('room.#')).toBe('room*')
    expect(toGlobPattern('#')).toBe('*')
    expect(toGlobPattern('room:*:message', ':')).toBe('room:*:message')
    expect(toGlobPattern('a?.[b]')).toBe('a\\?.\\[b\\]')
  })

  it('matches a superset of what the bus pattern matches', () => {
    const topics = ['room', 'room.1', 'room.1.message', 'room.1.2.message', 'roomy', 'a?.[b]', 'ab.b']
    for (const pattern of ['room.*.message', 'room.#', '#', 'room.*', '*.1.#', 'a?.[b]']) {
      for (const topic of topics) {
        if (matchTopic(pattern, topic))
          expect(globMatch(toGlobPattern(pattern), topic), `${pattern} ${topic}`).toBe(true)
      }
    }
    expect(globMatch(toGlobPattern('a?.[b]'), 'ab.b')).toBe(false)
  })
})
