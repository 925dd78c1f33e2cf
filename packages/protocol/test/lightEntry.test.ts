import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = (name: string) => readFileSync(join(import.meta.dirname, '..', 'src', name), 'utf8')

describe('the light entry loads neither zod nor msgpackr', () => {
  it('imports only zod-free modules at runtime', () => {
    const seen = new Set<string>()
    const visit = (name: string) => {
      if (seen.has(name)) return
      seen.add(name)
      const text = src(name)
      expect(text, name).not.toMatch(/from 'zod'|from 'msgpackr'/)
      // Runtime imports and re-exports of sibling modules (type-only ones are erased).
      for (const match of text.matchAll(/^(?:import|export) (?!type )[^;]*?from '\.\/([\w]+)\.js'/gm)) {
        visit(`${match[1]}.ts`)
      }
    }
    visit('light.ts')
    expect([...seen].sort()).toEqual([
      'CloseCode.ts',
      'ErrorCode.ts',
      'frameTypes.ts',
      'light.ts',
      'negotiate.ts',
    ])
  })
})
