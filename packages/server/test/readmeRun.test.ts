import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { connect, createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { createServer, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
// @ts-expect-error: a plain .mjs script without declarations
import { collect, summary } from '../../../scripts/readme-examples.mjs'

// Every README fence that is not marked `fragment` (scripts/readme-examples.mjs) is executed as
// written, with tsx, from a folder of its own inside its package's folder (so its imports resolve as
// in an app, and files it writes, ./data or ./public, go away with it). Each runs with PORT set to a
// free port, HOST=127.0.0.1, HUBBUB_SECRET and INSPECTOR_SECRET set, REDIS_URL passed on, and
// HUBBUB_URL/HUBBUB_TOKEN pointing at a real server of this test. Whichever comes first decides:
// - the process exits: it must exit 0 (a script); one that reads HUBBUB_URL (a client) must also
//   have said something in room `general` of this test's server;
// - PORT accepts connections: a server. One built on createServer/attach/the Fastify plugin must
//   greet a WebSocket client at /ws with `welcome`; a bare transport must answer GET /health. Then
//   SIGTERM: one that handles it must exit 0 on its own, one that does not dies of the signal.
// A port taken by someone else between our probe and the example's listen (EADDRINUSE) is retried.
type Example = { where: string; dir: string; code: string; ts: boolean; skip?: string; run: boolean }
const all = collect() as Example[]
const examples = all.filter((e) => e.run)
const secret = 'a-readme-run-secret-of-at-least-32-characters'
const DEADLINE_MS = 60_000
const results = { passed: 0, failed: 0 }

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
  const fragments = all.filter((e) => !e.run && e.skip === undefined).length
  console.log(
    `${summary(all)}\nreadme examples run: ${results.passed} passed, ${results.failed} failed, ${fragments} type-checked fragments not run`,
  )
})

test('the README examples that must run are found (the suite is not empty)', () => {
  expect(examples.map((e) => e.where)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^packages\/server\//),
      expect.stringMatching(/^packages\/client\//),
      expect.stringMatching(/^packages\/fastify\//),
    ]),
  )
})

async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Resolves when 127.0.0.1:port accepts a TCP connection; polls on refusal until `stop` says so. */
async function accepting(port: number, stop: () => boolean): Promise<boolean> {
  while (!stop()) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

type Run = {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: string | null }>
}

function start(
  example: Example,
  port: number,
  env: Record<string, string>,
  cleanup: (fn: () => void) => void,
): Run {
  const line = example.where.split(':')[1]
  const dir = join(example.dir, `.readme-run-${process.pid}-${line}`)
  mkdirSync(dir, { recursive: true })
  cleanup(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, `example.${example.ts ? 'mts' : 'mjs'}`)
  writeFileSync(file, example.code)
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', file], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      HUBBUB_SECRET: secret,
      INSPECTOR_SECRET: secret,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (chunk) => {
    out += String(chunk)
  })
  child.stderr!.on('data', (chunk) => {
    out += String(chunk)
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS)
  child.once('exit', () => clearTimeout(timer))
  cleanup(() => {
    clearTimeout(timer)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output: () => out, exited }
}

describe.concurrent.each(examples)('$where', (example) => {
  test('runs as written', { timeout: 2 * DEADLINE_MS }, async ({ expect, onTestFinished }) => {
    onTestFinished(({ task }) => {
      if (task.result?.state === 'fail') results.failed++
      else results.passed++
    })
    const user = `readme-${examples.indexOf(example)}`
    const token = await signToken(secret, { userId: user, name: user })
    let run: Run
    let port: number
    let listening: boolean
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      run = start(example, port, { HUBBUB_URL: url, HUBBUB_TOKEN: token }, onTestFinished)
      let gone = false
      const exited = run.exited.then(() => {
        gone = true
        return false
      })
      listening = await Promise.race([accepting(port, () => gone), exited])
      if (listening || attempt === 3 || !run.output().includes('EADDRINUSE')) break
    }
    const { child, output, exited } = run
    if (!listening) {
      expect((await exited).code, `${example.where} failed:\n${output()}`).toBe(0)
      if (example.code.includes('HUBBUB_URL')) {
        expect(heard, `${example.where} said nothing in 'general':\n${output()}`).toContainEqual(
          expect.objectContaining({ from: user }),
        )
      }
      return
    }
    if (
      /\b(createServer|attach)\(|\.register\(hubbub\b/.test(example.code) &&
      !example.code.includes("from 'node:http'")
    ) {
      // An example that prints a token for a first client: that token must work.
      if (example.code.includes('token: ')) await expect.poll(() => /token: \S+\n/.test(output())).toBe(true)
      const printed = /token: (\S+)/.exec(output())?.[1] ?? token
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['hubbub.v1.json', `hubbub.token.${printed}`])
      onTestFinished(() => ws.terminate())
      ws.on('error', () => {})
      const [first] = await once(ws, 'message')
      expect(JSON.parse(String(first)), output()).toMatchObject({ type: 'welcome', protocol: 1 })
    } else {
      // No keep-alive: a pooled connection of this process must not be what keeps the example up.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
          res.resume()
          resolve(res.statusCode)
        }).once('error', reject)
      })
      expect(status, output()).toBe(200)
    }
    child.kill('SIGTERM')
    const end = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r(`still running 20 s after SIGTERM:\n${output()}`), 20_000)),
    ])
    if (example.code.includes("'SIGTERM'")) expect(end, output()).toEqual({ code: 0, signal: null })
    else expect(end, output()).toEqual({ code: null, signal: 'SIGTERM' })
  })
})
