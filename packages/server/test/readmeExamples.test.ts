import { describe, expect, test } from 'vitest'
// @ts-expect-error: a plain .mjs script without declarations
import { check, extractExamples, optOut, runnable } from '../../../scripts/readme-examples.mjs'

describe('the README example extractor', () => {
  test('finds ts/typescript fences, indented ones in lists too, and reads their opt-outs', () => {
    const md = [
      '# Title',
      '```ts',
      'const a: number = 1',
      '```',
      '- a list item:',
      '',
      '  ```typescript',
      '  const b = 2',
      '  ```',
      '```sh',
      'npm install x',
      '```',
      '```ts no-check needs a running Redis',
      'await redis.ping()',
      '```',
      '````ts',
      'const c = "```"',
      '````',
    ].join('\n')
    const found = extractExamples(md) as Array<{ line: number; code: string; rest: string }>
    expect(found.map((e) => e.code)).toEqual([
      'const a: number = 1',
      'const b = 2',
      'await redis.ping()',
      'const c = "```"',
    ])
    expect(found.map((e) => e.line)).toEqual([3, 8, 14, 17])
    expect(optOut(found[2]!.rest)).toBe('needs a running Redis')
    expect(optOut(found[0]!.rest)).toBeUndefined()
    expect(optOut('no-check')).toBe('')
    expect(runnable('run')).toBe(true)
    expect(runnable('no-check run later')).toBe(false)
  })
})

// Every README's TypeScript examples (root, packages, apps), strict, as a user would compile them:
// one that does not type-check fails the build. The floor on the count keeps the check from passing
// because the extractor found nothing; raise it as READMEs gain examples.
const MIN_CHECKED = 40

test('every README example type-checks', { timeout: 180_000 }, () => {
  const { checked, skipped, problems } = check() as {
    checked: unknown[]
    skipped: Array<{ where: string; skip: string }>
    problems: string[]
  }
  expect(problems, `README examples that do not type-check:\n${problems.join('\n')}`).toEqual([])
  expect(checked.length).toBeGreaterThanOrEqual(MIN_CHECKED)
  // Opt-outs stay rare, and each says why.
  expect(skipped.length).toBeLessThanOrEqual(Math.floor(checked.length / 10))
  for (const s of skipped) expect(s.skip, s.where).not.toBe('')
})
