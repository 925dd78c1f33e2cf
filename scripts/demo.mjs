#!/usr/bin/env node
// `pnpm demo`: builds the chat demo and what it depends on, then starts it.
// Extra arguments pass through (e.g. `pnpm demo --transport uws`).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const app = join(root, 'apps', 'chat-demo')
if (!existsSync(join(app, 'src', 'main.ts'))) {
  console.log('The chat demo is not built yet: apps/chat-demo is not in this checkout.')
  process.exit(0)
}
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
if (!existsSync(join(root, 'node_modules', '.bin', 'turbo'))) run('pnpm', ['install'])
// The first build takes ~25 s: say so, and let turbo name each package as it builds it (one line each,
// "cache hit" on later runs), instead of a silent wait.
const fresh = !existsSync(join(app, 'dist', 'main.js'))
console.log(
  fresh
    ? 'Building the chat demo and the packages it uses (first run: about half a minute)…'
    : 'Checking the build (cached)…',
)
const started = Date.now()
run('pnpm', [
  'exec',
  'turbo',
  'run',
  'build',
  '--filter=@hubbub/chat-demo...',
  '--output-logs=hash-only',
  '--log-prefix=task',
])
console.log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s. Starting…`)
run(process.execPath, [join(app, 'dist', 'main.js'), ...process.argv.slice(2)])
