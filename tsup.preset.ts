import type { Options } from 'tsup'

/**
 * The one build recipe for every publishable package: ESM + CJS + .d.ts/.d.cts.
 * Declarations are built without the `@hubbub/source` condition, so a package's types
 * point at its dependencies' published `.d.ts`, never at their sources.
 */
export function preset(
  entry: Record<string, string> | string[] = ['src/index.ts'],
  extra: Options = {},
): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    ...extra,
  }
}
