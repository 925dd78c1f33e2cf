// A throwaway Verdaccio for the release test: its own config and storage in a temp
// folder, a free port, @hubbub/* served only from what is published to it (no uplink),
// everything else proxied to the npm registry.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** A port that was free a moment ago (bind port 0, read it, release it). */
export async function freePort() {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

function config(dir, uplink) {
  return `storage: ${JSON.stringify(join(dir, 'storage'))}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
    max_users: 10
uplinks:
  npmjs:
    url: ${JSON.stringify(uplink)}
    timeout: 60s
packages:
  '@hubbub/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs
security:
  api:
    legacy: false
    jwt:
      sign:
        expiresIn: 1h
web:
  enable: false
server:
  keepAliveTimeout: 60
log: { type: stdout, format: pretty, level: warn }
`
}

/**
 * Starts Verdaccio (the root devDependency) and resolves once it answers /-/ping.
 * Returns { url, token, stop }: token belongs to a user created for this run.
 */
export async function startRegistry({ root, dir, uplink, env }) {
  mkdirSync(dir, { recursive: true })
  const configFile = join(dir, 'config.yaml')
  writeFileSync(configFile, config(dir, uplink))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const bin = join(root, 'node_modules', '.bin', 'verdaccio')
  const child = spawn(bin, ['--config', configFile, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout.on('data', (chunk) => {
    log += chunk
  })
  child.stderr.on('data', (chunk) => {
    log += chunk
  })
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    const deadline = Date.now() + 60_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${log}`)
      try {
        if ((await fetch(`${url}-/ping`)).ok) break
      } catch {}
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${log}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const name = 'release-test'
    const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password: `pw-${process.pid}-${Date.now()}` }),
    })
    const body = await response.json()
    if (!response.ok || typeof body.token !== 'string') {
      throw new Error(`could not create a user on ${url}: ${response.status} ${JSON.stringify(body)}`)
    }
    return { url, port, token: body.token, stop, log: () => log }
  } catch (err) {
    await stop()
    throw err
  }
}
