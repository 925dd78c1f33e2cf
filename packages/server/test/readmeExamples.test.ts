import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
// @ts-expect-error: a plain .mjs script without declarations
import { extractExamples, optOut } from '../../../scripts/readme-examples.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

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
  })
})

// The READMEs of the packages this one builds on or serves (the server's, the Fastify plugin's,
// the uWS transport's) are type-checked here, strict, as a user would compile them; the script
// checks the others on demand (`node scripts/readme-examples.mjs`).
test('the server, Fastify and uWS READMEs type-check', { timeout: 300_000 }, () => {
  const run = () =>
    execFileSync(
      process.execPath,
      [
        join(root, 'scripts', 'readme-examples.mjs'),
        'packages/server/README.md',
        'packages/fastify/README.md',
        'packages/transport-uws/README.md',
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
  let output = ''
  try {
    output = run()
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    expect.fail(`${e.stdout ?? ''}${e.stderr ?? ''}`)
  }
  expect(output).toContain('all type-check')
})
