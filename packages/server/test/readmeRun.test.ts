import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
// @ts-expect-error: a plain .mjs script without declarations
import { collect } from '../../../scripts/readme-examples.mjs'

// Every README fence marked `run` (```ts run, ```js run) is executed as written, with tsx, from the
// folder of its package (so its imports resolve as in an app), against a real server of this test
// on a free port. Two kinds, told apart by what the example does:
// - a server example prints `listening on ws://…` (and may print `token: …`): a client connects
//   and gets `welcome`; SIGTERM then drains it (close 1001) and the process exits 0 on its own;
// - a client example reads HUBBUB_URL and HUBBUB_TOKEN, says something in room `general` of this
//   test's server (a watcher there must see it), and exits 0 on its own.
// Each runs with PORT=0, HOST=127.0.0.1 and HUBBUB_SECRET set, and is killed after DEADLINE_MS.
type Example = { where: string; dir: string; code: string; ts: boolean; skip?: string; run: boolean }
const examples = (collect() as Example[]).filter((e) => e.run)
const secret = 'a-readme-run-secret-of-at-least-32-characters'
const DEADLINE_MS = 45_000

let server: ReturnType<typeof createServer>
let url = ''
let watcherSocket: WebSocket | undefined
const heard: Array<{ from: string; text: string }> = []

beforeAll(async () => {
  server = createServer({ transport: wsTransport, auth: hmacAuth({ secret }) })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  url = `ws://127.0.0.1:${port}/ws`
  const token = await signToken(secret, { userId: 'watcher', name: 'watcher' })
  const watcher = new WebSocket(url, ['hubbub.v1.json', `hubbub.token.${token}`])
  watcherSocket = watcher
  const joined = new Promise<string>((resolve) => {
    watcher.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.replyTo === 'w') resolve(frame.type)
      if (frame.type === 'message') heard.push({ from: frame.from, text: frame.text })
    })
  })
  await once(watcher, 'open')
  watcher.send(JSON.stringify({ type: 'join', roomId: 'general', id: 'w' }))
  expect(await joined).toBe('joined')
}, 30_000)
afterAll(async () => {
  watcherSocket?.terminate()
  await server?.close({ graceMs: 0 })
})

test('some README examples are marked to run (the root of this suite is not empty)', () => {
  expect(examples.map((e) => e.where)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^packages\/server\//),
      expect.stringMatching(/^packages\/client\//),
    ]),
  )
})

function start(
  example: Example,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; listening: Promise<void> } {
  const file = join(
    example.dir,
    `.readme-run-${process.pid}-${example.where.split(':')[1]}.${example.ts ? 'mts' : 'mjs'}`,
  )
  writeFileSync(file, example.code)
  onTestFinished(() => rmSync(file, { force: true }))
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', file], {
    cwd: example.dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', HUBBUB_SECRET: secret, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let said: () => void = () => {}
  const listening = new Promise<void>((resolve) => {
    said = resolve
  })
  child.stdout!.on('data', (chunk) => {
    out += String(chunk)
    if (/listening on ws:\/\/\S+\n/.test(out)) said()
  })
  child.stderr!.on('data', (chunk) => {
    out += String(chunk)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS)
  child.once('exit', () => clearTimeout(timer))
  onTestFinished(() => {
    clearTimeout(timer)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output: () => out, listening }
}

describe.each(examples)('$where', (example) => {
  test('runs as written', { timeout: DEADLINE_MS + 15_000 }, async () => {
    const user = `readme-${example.where.split(':')[1]}`
    const token = await signToken(secret, { userId: user, name: user })
    const { child, output, listening: said } = start(example, { HUBBUB_URL: url, HUBBUB_TOKEN: token })
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode)
      child.once('exit', (code) => resolve(code))
    })
    // Whichever comes first: a server example says where it listens, a client example ends.
    const listening = await Promise.race([said.then(() => true), exited.then(() => false)])
    if (!listening) {
      expect(await exited, `${example.where} failed:\n${output()}`).toBe(0)
      expect(heard, `${example.where} said nothing in 'general':\n${output()}`).toContainEqual(
        expect.objectContaining({ from: user }),
      )
      return
    }
    const at = /listening on (ws:\/\/\S+)/.exec(output())![1]!.replace('localhost', '127.0.0.1')
    // An example that prints a token for a first client: that token must work.
    if (example.code.includes('token: ')) await expect.poll(() => /token: \S+\n/.test(output())).toBe(true)
    const printed = /token: (\S+)/.exec(output())?.[1] ?? token
    const ws = new WebSocket(at, ['hubbub.v1.json', `hubbub.token.${printed}`])
    onTestFinished(() => ws.terminate())
    const [first] = await once(ws, 'message')
    expect(JSON.parse(String(first))).toMatchObject({ type: 'welcome', protocol: 1 })
    const closed = once(ws, 'close')
    child.kill('SIGTERM')
    expect((await closed)[0]).toBe(1001)
    expect(await exited, output()).toBe(0)
  })
})
