#!/usr/bin/env node
// Packs every publishable workspace package with pnpm (so workspace:* ranges are
// rewritten as they would be on publish) and lints the tarball with publint and
// @arethetypeswrong/cli. Run after `turbo run build` (the root script does).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
// A private folder per run, so two runs at once never delete each other's tarballs.
const out = mkdtempSync(join(tmpdir(), 'hubbub-pack-'))
const bin = (name) => join(root, 'node_modules', '.bin', name)
const only = process.argv.slice(2)

let failed = 0
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgDir = join(root, 'packages', dir)
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
  if (pkg.private || (only.length && !only.includes(pkg.name) && !only.includes(dir))) continue
  // Tests read src/ through the project's own condition; a generic `source` would let consumers who set
  // customConditions: ["source"] compile this package's sources with their own compiler settings.
  if (JSON.stringify(pkg.exports ?? {}).includes('"source":')) {
    failed++
    console.log(`FAIL ${pkg.name}: exports use a bare "source" condition; name it "@hubbub/source"`)
    continue
  }
  // npm shows the README alone: a relative link into the repository leads nowhere there.
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8')
  const relative = readme.match(/\]\((?!https?:|mailto:|#)[^)]*\)/g)
  if (relative) {
    failed++
    console.log(`FAIL ${pkg.name}: README links that break on npm: ${relative.join(' ')}`)
    continue
  }
  const run = (cmd, args, cwd = pkgDir) =>
    execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const packed = run('pnpm', ['pack', '--pack-destination', out]).trim().split('\n').pop().trim()
    const tarball = packed.endsWith('.tgz') ? packed : join(out, packed)
    run(bin('publint'), ['run', tarball, '--strict'])
    // node16 profile: CJS and ESM consumers under Node's own resolution (node10 cannot see subpath exports).
    // A string export that points at a .js file is an asset to serve (the client's IIFE script), not a module.
    const assets = Object.entries(pkg.exports ?? {})
      .filter(([, target]) => typeof target === 'string' && target.endsWith('.js'))
      .map(([entry]) => entry)
    const exclude = assets.length > 0 ? ['--exclude-entrypoints', ...assets] : []
    run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'ascii', ...exclude])
    console.log(`ok   ${pkg.name}`)
  } catch (err) {
    failed++
    console.log(`FAIL ${pkg.name}\n${err.stdout ?? ''}${err.stderr ?? err.message}`)
  }
}
rmSync(out, { recursive: true, force: true })
if (failed) {
  console.log(`${failed} package(s) failed the package check`)
  process.exit(1)
}
console.log('all packages pass publint and attw')
