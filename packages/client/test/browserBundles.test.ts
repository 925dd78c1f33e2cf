import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { expect, it } from 'vitest'
import { browserBundle, browserFiles } from '../scripts/bundleOptions.js'

it('the IIFE build sets a global Hubbub with connect, and carries no zod', async () => {
  const result = await build({ ...browserBundle, format: 'iife', globalName: 'Hubbub', write: false })
  const code = result.outputFiles[0]!.text
  expect(code).not.toMatch(/ZodError|zod/i)
  const sandbox: Record<string, any> = {}
  runInNewContext(code, sandbox)
  expect(typeof sandbox.Hubbub.connect).toBe('function')
  expect(typeof sandbox.Hubbub.HubbubError).toBe('function')
})

it('the browser builds are package exports, so nobody copies a file out of node_modules', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(pkg.exports['./browser']).toBe(`./dist/${browserFiles.esm}`)
  expect(pkg.exports['./iife']).toBe(`./dist/${browserFiles.iife}`)
  expect(pkg.files).toContain('dist')
})
