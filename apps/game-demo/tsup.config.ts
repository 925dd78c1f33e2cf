import { defineConfig } from 'tsup'

// An app, not a published package: ESM only; `dist/index.js` is the in-process API, `dist/main.js` the CLI.
export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
})
