#!/usr/bin/env node
// Scaffolds packages/<name> with the house package.json shape, tsup preset,
// vitest project and tsconfig. Usage: node scripts/new-package.mjs <name> "<description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [name, description = ''] = process.argv.slice(2)
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>"')
  process.exit(2)
}
const dir = join('packages', name)
if (existsSync(dir)) {
  console.error(`${dir} exists already`)
  process.exit(1)
}
mkdirSync(join(dir, 'src'), { recursive: true })
mkdirSync(join(dir, 'test'), { recursive: true })

const pkg = {
  name: `@hubbub/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': {
      '@hubbub/source': './src/index.ts',
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  files: ['dist', 'src', '!src/**/*.test.ts'],
  engines: { node: '>=20' },
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    typecheck: 'tsc --noEmit',
  },
}
const write = (file, text) => writeFileSync(join(dir, file), text)
write('package.json', `${JSON.stringify(pkg, null, 2)}\n`)
write(
  'tsup.config.ts',
  `import { defineConfig } from 'tsup'\nimport { preset } from '../../tsup.preset.ts'\n\nexport default defineConfig(preset())\n`,
)
write(
  'vitest.config.ts',
  `import { packageConfig } from '../../vitest.shared.ts'\n\nexport default packageConfig('${name}')\n`,
)
write(
  'tsconfig.json',
  // Written as Biome formats it (short arrays on one line), so a new package passes `pnpm lint` as is.
  `{\n  "extends": "../../tsconfig.base.json",\n  "compilerOptions": {\n    "noEmit": true\n  },\n  "include": ["src", "test", "bench"]\n}\n`,
)
write('src/index.ts', `export {}\n`)
write('README.md', `# @hubbub/${name}\n\n${description}\n`)
console.log(`created ${dir}`)
