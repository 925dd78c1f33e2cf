import { expect, test } from 'vitest'
import { randomId } from '../src/randomId.js'

test('randomId: ids of the asked length, never repeated across pool refills', () => {
  const ids = new Set<string>()
  // 2,000 × 24 bytes spans about twelve refills of the 4 KiB pool.
  for (let i = 0; i < 2000; i++) {
    const id = randomId(24)
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    ids.add(id)
  }
  expect(ids.size).toBe(2000)
  expect(randomId(9)).toHaveLength(12)
})
