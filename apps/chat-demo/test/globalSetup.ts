import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { setTimeout } from 'node:timers/promises'
import { clientBundlePath } from '../src/ChatServer.js'

/**
 * The page loads @hubbub/client's IIFE bundle, and `pnpm test` runs before any build: build it once,
 * before any test file, when it is missing (after a short wait, in case a build is already emptying dist).
 */
export default async function setup(): Promise<void> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 5000; waited += 250) await setTimeout(250)
  if (!existsSync(built)) execFileSync('pnpm', ['--filter', '@hubbub/client', 'build'], { stdio: 'inherit' })
}
