#!/usr/bin/env node
// The release, proven against a real registry: copies the repository (git ls-files)
// to a temp folder, runs `changeset version` there, publishes every public package
// with `pnpm publish -r` to a throwaway Verdaccio, then installs them with npm into a
// fresh app outside the monorepo and runs scripts/release-app/ there (ESM, CJS, a
// strict tsc typecheck, a Fastify app with a real client). Prints a time per step.
// RELEASE_TEST_KEEP=1 keeps the temp folder (registry storage, repo copy, app).
import { spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { startRegistry } from './release-registry.mjs'

const root = resolve(import.meta.dirname, '..')
const keep = process.env.RELEASE_TEST_KEEP === '1'
const work = mkdtempSync(join(tmpdir(), 'hubbub-release-'))
const repo = join(work, 'repo')
const app = join(work, 'app')
const npmrc = join(work, 'npmrc')
const uplink = 'https://registry.npmjs.org/'

// Children see none of the npm/pnpm settings of the shell or of `pnpm run`, and a
// user config of their own: what a clean machine with only this registry would see.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_config_/i.test(key)),
)
env.NPM_CONFIG_USERCONFIG = npmrc
env.NPM_CONFIG_UPDATE_NOTIFIER = 'false'
writeFileSync(npmrc, '')

const timings = []
async function step(name, fn) {
  const started = performance.now()
  process.stdout.write(`[release] ${name} …\n`)
  try {
    return await fn()
  } finally {
    const seconds = (performance.now() - started) / 1000
    timings.push([name, seconds])
    process.stdout.write(`[release] ${name}: ${seconds.toFixed(1)} s\n`)
  }
}

function run(cmd, args, { cwd, timeoutMs = 180_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.stderr.on('data', (chunk) => {
      out += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolvePromise(out)
      const why = signal
        ? `was killed (${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs} ms` : ''})`
        : `exited ${code}`
      reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) ${why}:\n${out}`))
    })
  })
}

const bin = (name) => join(root, 'node_modules', '.bin', name)
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const publicPackages = (dir) =>
  readdirSync(join(dir, 'packages'))
    .map((name) => ({
      dir: join(dir, 'packages', name),
      pkg: readJson(join(dir, 'packages', name, 'package.json')),
    }))
    .filter(({ pkg }) => !pkg.private)

let registry
let failed = false
const started = performance.now()
try {
  // The build is turbo's, in the source tree, so CI reuses the cached one; no built
  // file embeds a package version, so building before `changeset version` ships the same bytes.
  await step('build (turbo)', () => run('pnpm', ['build'], { cwd: root, timeoutMs: 1_200_000 }))

  await step('copy the repository (git ls-files)', async () => {
    const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
    })
    for (const file of listed.split('\0').filter(Boolean)) {
      if (!existsSync(join(root, file))) continue // deleted in the work tree
      mkdirSync(dirname(join(repo, file)), { recursive: true })
      cpSync(join(root, file), join(repo, file))
    }
    for (const { dir } of publicPackages(root)) {
      cpSync(join(dir, 'dist'), join(repo, 'packages', dir.split('/').pop(), 'dist'), { recursive: true })
    }
  })
  // The copy's own install (from the store CI's install filled): pnpm publish resolves
  // workspace: ranges through it, and changesets runs from it.
  await step('pnpm install in the copy', () =>
    run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], { cwd: repo, timeoutMs: 300_000 }),
  )

  const version = await step('changeset version', async () => {
    await run(join(repo, 'node_modules', '.bin', 'changeset'), ['version'], { cwd: repo })
    const left = readdirSync(join(repo, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')
    if (left.length) throw new Error(`changeset version left changesets unconsumed: ${left.join(', ')}`)
    const versions = new Set(publicPackages(repo).map(({ pkg }) => pkg.version))
    if (versions.size !== 1) throw new Error(`the fixed group did not version together: ${[...versions]}`)
    const [next] = versions
    if (next === '0.0.0') throw new Error('changeset version bumped nothing')
    if (!existsSync(join(repo, 'packages', 'server', 'CHANGELOG.md')))
      throw new Error('no CHANGELOG.md written')
    return next
  })
  console.log(`[release] version ${version}`)

  registry = await step('start Verdaccio', () =>
    startRegistry({ root, dir: join(work, 'registry'), uplink, env }),
  )
  console.log(`[release] registry ${registry.url}`)
  writeFileSync(npmrc, `//127.0.0.1:${registry.port}/:_authToken=${registry.token}\n`)

  await step('pnpm publish -r', async () => {
    await run(
      'pnpm',
      ['publish', '-r', '--registry', registry.url, '--no-git-checks', '--access', 'public'],
      {
        cwd: repo,
      },
    )
    for (const { pkg } of publicPackages(repo)) {
      const response = await fetch(`${registry.url}${pkg.name.replace('/', '%2f')}`)
      const published = response.ok ? (await response.json()).versions?.[version] : undefined
      if (!published) throw new Error(`${pkg.name}@${version} is not on the registry (${response.status})`)
      const ranges = JSON.stringify([published.dependencies, published.peerDependencies])
      if (ranges.includes('workspace:')) throw new Error(`${pkg.name} was published with workspace: ranges`)
    }
  })

  const hubbub = ['server', 'client', 'transport-ws', 'fastify'].map((name) => `@hubbub/${name}@${version}`)
  await step('npm install in a fresh app', async () => {
    mkdirSync(app)
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'hubbub-release-app', private: true, type: 'module' }, null, 2)}\n`,
    )
    for (const file of ['esm.mjs', 'cjs.cjs', 'fastify.mjs', 'express.mjs', 'consumer.ts', 'tsconfig.json']) {
      cpSync(join(root, 'scripts', 'release-app', file), join(app, file))
    }
    const deps = [...hubbub, 'fastify@^5', 'express@^5', 'ws@^8', '@types/node@^20', '@types/ws@^8']
    await run('npm', ['install', '--registry', registry.url, '--no-audit', '--no-fund', ...deps], {
      cwd: app,
      timeoutMs: 300_000,
    })
    for (const name of ['server', 'client', 'transport-ws', 'fastify', 'transport', 'protocol']) {
      const installed = readJson(join(app, 'node_modules', '@hubbub', name, 'package.json')).version
      if (installed !== version) throw new Error(`@hubbub/${name} installed at ${installed}, not ${version}`)
    }
  })

  await step('ESM import', async () => process.stdout.write(await run('node', ['esm.mjs'], { cwd: app })))
  await step('CJS require, server + client', async () =>
    process.stdout.write(await run('node', ['cjs.cjs'], { cwd: app, timeoutMs: 60_000 })),
  )
  await step('tsc --noEmit (strict, skipLibCheck: false)', () => run(bin('tsc'), ['-p', app], { cwd: app }))
  await step('Fastify app + installed client', async () =>
    process.stdout.write(await run('node', ['fastify.mjs'], { cwd: app, timeoutMs: 60_000 })),
  )
  await step('Express app (attach) + installed client', async () =>
    process.stdout.write(await run('node', ['express.mjs'], { cwd: app, timeoutMs: 60_000 })),
  )
} catch (err) {
  failed = true
  console.error(`[release] FAILED: ${err.stack ?? err}`)
  if (registry) console.error(`[release] verdaccio log:\n${registry.log()}`)
} finally {
  await registry?.stop()
  if (keep) console.log(`[release] kept ${work} (RELEASE_TEST_KEEP=1)`)
  else rmSync(work, { recursive: true, force: true })
}

const total = (performance.now() - started) / 1000
console.log('\n[release] step times')
for (const [name, seconds] of timings) console.log(`  ${seconds.toFixed(1).padStart(6)} s  ${name}`)
console.log(`  ${total.toFixed(1).padStart(6)} s  total`)
console.log(failed ? '[release] release test FAILED' : '[release] release test passed')
process.exit(failed ? 1 : 0)
