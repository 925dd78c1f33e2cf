import { existsSync } from 'node:fs'
import { setTimeout } from 'node:timers/promises'
import { clientBundlePath, ensureClientBundle } from '../src/clientBundlePath.js'

/**
 * The page imports @hubbub/client's browser bundle, and tests run before any build: make it once when
 * it is missing (after a short wait, in case a build is emptying dist right now).
 */
export default async function setup(): Promise<void> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 5000; waited += 250) await setTimeout(250)
  ensureClientBundle()
}
