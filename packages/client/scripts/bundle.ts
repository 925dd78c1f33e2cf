// Browser builds for the demo pages, run by `build` after tsup: an ES module and an IIFE that sets `Hubbub`.
import { build } from 'esbuild'
import { browserBundle, browserFiles } from './bundleOptions.js'

const dist = new URL('../dist/', import.meta.url)
await build({ ...browserBundle, format: 'esm', outfile: new URL(browserFiles.esm, dist).pathname })
await build({
  ...browserBundle,
  format: 'iife',
  globalName: 'Hubbub',
  outfile: new URL(browserFiles.iife, dist).pathname,
})
console.log('dist/hubbub-client.browser.js, dist/hubbub-client.iife.js')
