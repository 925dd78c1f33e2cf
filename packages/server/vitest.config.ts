import { packageConfig } from '../../vitest.shared.ts'

const config = packageConfig('server')
// Vitest hands these conditions to Node as --conditions; with `import` among them a require() of a
// dual package (router's require('is-promise') inside Express 5) loads its ESM build and breaks.
// Node adds `import` to real imports itself, so leaving it out changes nothing else.
for (const resolve of [config.resolve, config.ssr?.resolve]) {
  if (resolve?.conditions) resolve.conditions = resolve.conditions.filter((c) => c !== 'import')
}

export default config
