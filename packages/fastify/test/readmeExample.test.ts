import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signToken } from '@hubbub/server'
import { expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const secret = 'a-readme-secret-of-at-least-32-characters'

test('the README channel manager runs as written: status, a channel message and an organisation notice', async () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## A channel manager')))?.[1]
  expect(code).toBeDefined()
  // Beside package.json, so that the packages resolve as in an app.
  const file = join(packageDir, `.readme-example-${process.pid}.ts`)
  writeFileSync(file, code!)
  onTestFinished(() => rmSync(file, { force: true }))
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', file], {
    cwd: packageDir,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      HUBBUB_SECRET: secret,
      BROADCAST_SECRET: 'b'.repeat(32),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += String(chunk)
      const found = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]
      if (found) resolve(Number(found))
    })
    child.once('exit', (exit) => reject(new Error(`the example exited with ${exit}: ${out}`)))
  })
  const base = `http://127.0.0.1:${port}`
  expect(await (await fetch(`${base}/ws/status`)).json()).toMatchObject({ connections: 0 })

  const token = await signToken(secret, { userId: 'u42', name: 'dana', orgId: 'acme' })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['hubbub.v1.json', `hubbub.token.${token}`])
  onTestFinished(() => ws.terminate())
  const frames: Array<Record<string, any>> = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data))))
  await once(ws, 'open')
  ws.send(JSON.stringify({ type: 'join', roomId: 'org:acme', id: 'j' }))
  await expect.poll(() => frames.find((f) => f.replyTo === 'j')?.type).toBe('joined')
  ws.send(JSON.stringify({ type: 'join', roomId: 'org:other', id: 'k' }))
  await expect.poll(() => frames.find((f) => f.replyTo === 'k')?.code).toBe('FORBIDDEN')

  const post = (path: string, body: object) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json())
  expect(await post('/channels/org:acme/messages', { text: 'deploy at 6' })).toEqual({ delivered: 1 })
  await expect
    .poll(() => frames.find((f) => f.type === 'message'))
    .toMatchObject({ text: 'deploy at 6', from: 'api' })
  expect(await post('/orgs/acme/notices', { text: 'maintenance' })).toEqual({ delivered: 1 })
  await expect
    .poll(() => frames.find((f) => f.type === 'notice'))
    .toEqual({ type: 'notice', text: 'maintenance' })
}, 60_000)
