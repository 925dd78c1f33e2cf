import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The page's script (`src/page/app.ts`): the editor, Yjs, the provider and the client in one module. */
export const pageEntry = join(dirname(fileURLToPath(import.meta.url)), 'page', 'app.ts')

/**
 * Bundles the page's script in memory with esbuild (about a second), so the demo needs no build step
 * and no built file is kept in the repository. Workspace packages are read from their sources (the
 * `@hubbub/source` condition), so nothing has to be built first either.
 */
export async function bundlePage(options: { minify?: boolean } = {}): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [pageEntry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@hubbub/source'],
    minify: options.minify ?? true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  })
  const out = result.outputFiles[0]
  if (out === undefined) throw new Error('esbuild produced no output for the page')
  return out.contents
}
