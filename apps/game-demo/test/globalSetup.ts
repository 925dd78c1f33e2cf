import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { clientBundlePath } from '../src/clientBundlePath.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * The page imports @hubbub/client's browser bundle, and tests run before any build: when it is missing,
 * run the client's own bundle step once (it reads sources only), after a short wait in case a build
 * is emptying dist right now.
 */
export default async function setup(): Promise<void> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 5000; waited += 250) await setTimeout(250)
  if (existsSync(built)) return
  const clientDir = dirname(dirname(built))
  execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(clientDir, 'scripts', 'bundle.ts')], {
    cwd: clientDir,
    stdio: 'inherit',
  })
}
