import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The file name the page loads (`/hubbub-client.iife.js`). */
export const CLIENT_BUNDLE = 'hubbub-client.iife.js'

/** Where @hubbub/client's build writes the IIFE bundle that sets `window.Hubbub`. */
export function clientBundlePath(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('@hubbub/client/package.json')), 'dist', CLIENT_BUNDLE)
}
