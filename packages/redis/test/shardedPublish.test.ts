import { describe, expect, it } from 'vitest'
import { publishScript } from '../src/roomLogScripts.js'
import { shardedPublish } from '../src/shardedPublish.js'

describe('shardedPublish', () => {
  it("makes the room log's publish script publish with SPUBLISH, and changes nothing else", () => {
    const sharded = shardedPublish(publishScript)
    expect(sharded).toContain("redis.call('SPUBLISH'")
    expect(sharded).not.toContain("redis.call('PUBLISH'")
    expect(sharded.replaceAll("redis.call('SPUBLISH'", "redis.call('PUBLISH'")).toBe(publishScript)
  })

  it('throws when the script has no PUBLISH call to swap', () => {
    expect(() => shardedPublish("return redis.call('GET', KEYS[1])")).toThrow(
      /no redis\.call\('PUBLISH' call/,
    )
  })
})
