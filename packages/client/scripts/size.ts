// The size budget of the core client: bundled like the browser build, minified, gzipped; fails above the limit.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { browserBundle } from './bundleOptions.js'

/** 6 KB min+gzip for the core client (no zod). */
export const SIZE_LIMIT = 6144

export async function measureBundle(): Promise<{ minified: number; gzipped: number }> {
  const result = await build({ ...browserBundle, format: 'esm', write: false })
  const code = result.outputFiles[0]!.contents
  return { minified: code.byteLength, gzipped: gzipSync(code).byteLength }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { minified, gzipped } = await measureBundle()
  console.log(`@hubbub/client core: ${minified} B minified, ${gzipped} B min+gzip (limit ${SIZE_LIMIT} B)`)
  if (gzipped > SIZE_LIMIT) {
    console.error(`over the size limit by ${gzipped - SIZE_LIMIT} B`)
    process.exit(1)
  }
}
