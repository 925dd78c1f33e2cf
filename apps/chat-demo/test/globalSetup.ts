import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { clientBundlePath } from '../src/clientBundlePath.js'
import { buildCliBundle } from './support/cliBundle.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * The page loads @hubbub/client's IIFE bundle, and `pnpm test` runs before any build: make it once,
 * before any test file, when it is missing (after a short wait, in case a build is already emptying dist).
 * The client's own bundle step reads sources only, so it works on a clean clone where no package is built;
 * the full turbo build is the fallback.
 */
export default async function setup(): Promise<void> {
  await buildClientBundle()
  // The CLI the process tests spawn, as one file (see support/cliBundle.ts), fresh for each run.
  await buildCliBundle()
}

async function buildClientBundle(): Promise<void> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 5000; waited += 250) await setTimeout(250)
  if (existsSync(built)) return
  const clientDir = dirname(dirname(built))
  const bundleScript = join(clientDir, 'scripts', 'bundle.ts')
  if (existsSync(bundleScript)) {
    execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [bundleScript], {
      cwd: clientDir,
      stdio: 'inherit',
    })
  } else {
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@hubbub/client...'], {
      cwd: root,
      stdio: 'inherit',
    })
  }
}
