import { defineConfig } from 'vitest/config'

/** Per-package vitest config: tests import workspace packages from `src` via the `@hubbub/source` condition. */
export function packageConfig(name: string, extra: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: ['@hubbub/source', 'module', 'node', 'import', 'default'] },
    ssr: {
      resolve: {
        conditions: ['@hubbub/source', 'module', 'node', 'import', 'default'],
        externalConditions: ['@hubbub/source'],
      },
    },
    test: {
      name,
      include: extra.include ?? ['test/**/*.test.ts', 'src/**/*.test.ts'],
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 20_000,
      // Polls wait on real sockets and timers; a stalled machine needs more than vitest's 1 s default.
      expect: { poll: { timeout: 5_000 } },
      environment: 'node',
    },
  })
}
