// After tsup: the page and the client's browser bundle go into dist/public, the one folder the built server serves.
import { cpSync, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

const app = resolve(import.meta.dirname, '..')
const out = join(app, 'dist', 'public')
mkdirSync(out, { recursive: true })
cpSync(join(app, 'public'), out, { recursive: true })
const require = createRequire(join(app, 'package.json'))
const bundle = join(dirname(require.resolve('@hubbub/client/package.json')), 'dist', 'hubbub-client.iife.js')
if (!existsSync(bundle)) {
  console.error(`missing ${bundle}: build @hubbub/client first (turbo does: pnpm demo)`)
  process.exit(1)
}
cpSync(bundle, join(out, 'hubbub-client.iife.js'))
console.log('dist/public: page + hubbub-client.iife.js')
