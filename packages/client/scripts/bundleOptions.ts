import { fileURLToPath } from 'node:url'
import type { BuildOptions } from 'esbuild'

/** The browser builds in `dist/`, published as the `./browser` (ES module) and `./iife` (classic script) exports. */
export const browserFiles = { esm: 'hubbub-client.browser.js', iife: 'hubbub-client.iife.js' } as const

/** The core client as browsers get it: one minified file, no zod (frame types are erased at build time). */
export const browserBundle: BuildOptions = {
  entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2022',
  conditions: ['@hubbub/source'],
  legalComments: 'none',
}
