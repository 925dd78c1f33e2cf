import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Where `@hubbub/client/browser` (the client's ES module bundle for browsers) lives. */
export function clientBundlePath(): string {
  // Through the package's exports map (not require.resolve, which throws while the file is not built).
  const manifest = createRequire(import.meta.url).resolve('@hubbub/client/package.json')
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> }
  const target = pkg.exports['./browser']
  if (typeof target !== 'string') throw new Error('@hubbub/client has no "./browser" export')
  return join(dirname(manifest), target)
}

/**
 * Makes the client's browser bundle when it is missing, with the client's own bundle step (it reads
 * sources only, so it works on a clean clone where nothing is built). Returns the bundle's path.
 */
export function ensureClientBundle(): string {
  const built = clientBundlePath()
  if (existsSync(built)) return built
  const clientDir = dirname(dirname(built))
  const script = join(clientDir, 'scripts', 'bundle.ts')
  if (!existsSync(script)) return built
  // The workspace's tsx (the client's own, or the repository root's), else one on the PATH.
  const tsx = [clientDir, join(clientDir, '..', '..')]
    .map((dir) => join(dir, 'node_modules', '.bin', 'tsx'))
    .find((bin) => existsSync(bin))
  execFileSync(tsx ?? 'tsx', [script], { cwd: clientDir, stdio: 'inherit' })
  return built
}
