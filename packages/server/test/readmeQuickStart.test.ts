import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The first ```js block under a README heading. */
function exampleUnder(heading: string): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf(`## ${heading}`))
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  if (code === undefined) throw new Error(`no js example under "## ${heading}"`)
  return code
}

test('the plain-JavaScript quick start runs as written: it listens, prints a token, and a client gets welcome', async () => {
  // Beside package.json, so that `@hubbub/server` and `@hubbub/transport-ws` resolve as in an app.
  const file = join(packageDir, `.readme-quick-start-${process.pid}.mjs`)
  writeFileSync(file, exampleUnder('Quick start in plain JavaScript'))
  onTestFinished(() => rmSync(file, { force: true }))
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', file], {
    cwd: packageDir,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      HUBBUB_SECRET: 'a-readme-secret-of-at-least-32-characters',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  const printed = new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += String(chunk)
      const url = /listening on (ws:\/\/\S+)/.exec(out)?.[1]
      const token = /token: (\S+)/.exec(out)?.[1]
      if (url && token) resolve({ url: url.replace('localhost', '127.0.0.1'), token })
    })
    child.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${out}`)))
  })
  const { url, token } = await printed
  const ws = new WebSocket(url, ['hubbub.v1.json', `hubbub.token.${token}`])
  onTestFinished(() => ws.terminate())
  const [first] = await once(ws, 'message')
  expect(JSON.parse(String(first))).toMatchObject({ type: 'welcome', protocol: 1 })
  // SIGTERM drains: the client is told, and the process ends on its own.
  const closed = once(ws, 'close')
  child.kill('SIGTERM')
  expect((await closed)[0]).toBe(1001)
  const code = child.exitCode ?? (await once(child, 'exit'))[0]
  expect(code).toBe(0)
})
