import { createRequire } from 'node:module'

/** Where `@hubbub/client/browser` (the client's ES module bundle for browsers) lives. */
export function clientBundlePath(): string {
  return createRequire(import.meta.url).resolve('@hubbub/client/browser')
}
