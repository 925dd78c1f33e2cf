import { fileURLToPath } from 'node:url'
import type { BuildOptions } from 'esbuild'

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
