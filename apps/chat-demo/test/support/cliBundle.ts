import { mkdirSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const app = fileURLToPath(new URL('../../', import.meta.url))
const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

/**
 * Where the test suites' copy of the CLI is: one file, built from source by `buildCliBundle` (in
 * test/globalSetup.ts). Under node_modules, so neither git nor the linter sees it.
 */
export const CLI_BUNDLE = fileURLToPath(
  new URL('../../node_modules/.cache/chat-cli/main.mjs', import.meta.url),
)

/**
 * The CLI from source as one ES module, the workspace packages and their dependencies inside:
 * node loads it in a second or two where node with the tsx loader takes ~7 s on a busy machine,
 * and the suites start a dozen of them. It runs the same code: `import.meta.url` is the source
 * file's in every module, so the page, the client bundle and uWebSockets.js resolve from where
 * they do when the CLI runs from source. Native or optional packages stay outside.
 */
export async function buildCliBundle(): Promise<string> {
  mkdirSync(dirname(CLI_BUNDLE), { recursive: true })
  // Written aside and renamed, so a concurrent run never starts a half-written file.
  const partial = `${CLI_BUNDLE}.${process.pid}.tmp`
  await build({
    entryPoints: [main],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@hubbub/source'],
    absWorkingDir: app,
    external: ['uWebSockets.js', 'bufferutil', 'utf-8-validate'],
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(main).href) },
    // Bundled CommonJS packages (ws, ioredis) call require(): give the module one.
    banner: {
      js: "import { createRequire as __chatCliRequire } from 'node:module';\nconst require = __chatCliRequire(import.meta.url);",
    },
    logLevel: 'warning',
  })
  renameSync(partial, CLI_BUNDLE)
  return CLI_BUNDLE
}
