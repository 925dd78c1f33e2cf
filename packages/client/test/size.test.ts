import { expect, it } from 'vitest'
import { measureBundle, SIZE_LIMIT } from '../scripts/size.js'

it('keeps the core browser bundle within 6 KB min+gzip', async () => {
  const { gzipped, minified } = await measureBundle()
  console.log(`@hubbub/client core: ${minified} B minified, ${gzipped} B min+gzip`)
  expect(gzipped).toBeLessThanOrEqual(SIZE_LIMIT)
})
