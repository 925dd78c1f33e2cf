import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server, Socket } from 'node:net'
import { CHAT_ENV_KEYS } from '../../src/chatConfig.js'
import { CLI_BUNDLE } from './cliBundle.js'

export interface ChatProcess {
  child: ChildProcess
  port: number
  url: string
  output(): string
}

/**
 * The demo's CLI as its own process (see `spawnChat`), keeping history in `dataDir`. Without `port` it takes a random one below the
 * kernel's ephemeral range (32768 and up), so no outgoing connection, nor a page's reconnect attempt
 * connecting to itself, can hold it while the server is down; a restart passes the old port so the
 * pages find the server where it was. A port still held is retried (a fresh one when none was given).
 */
export async function startChatProcess(options: {
  transport: string
  dataDir: string
  port?: number
}): Promise<ChatProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? 20_000 + Math.floor(Math.random() * 12_000)
    try {
      return await spawnOnce({ ...options, port })
    } catch (err) {
      if (attempt >= 20 || !/EADDRINUSE|in use|cannot listen/i.test((err as Error).message)) throw err
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

function spawnOnce(options: { transport: string; dataDir: string; port: number }): Promise<ChatProcess> {
  return spawnChat([], {
    PORT: String(options.port),
    TRANSPORT: options.transport,
    DATA_DIR: options.dataDir,
    INSPECTOR_SECRET: 'outage-test-inspector-secret',
  })
}

/**
 * The environment of a chat process: this process's, without any chat setting it holds (every
 * variable the CLI reads, and `HUBBUB_*`), then `HOST=127.0.0.1` and `env`. CI sets `REDIS_URL` for
 * the Redis suites: inherited, it would turn every spawned chat into a node of one shared chat under
 * the default prefix, whose history leaks from one test (and one run) into the next.
 */
export function chatEnv(
  env: Record<string, string>,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const settings = new Set<string>(CHAT_ENV_KEYS)
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined || settings.has(key) || key.startsWith('HUBBUB_')) continue
    out[key] = value
  }
  return { ...out, HOST: '127.0.0.1', ...env }
}

/**
 * The CLI built from source (`CLI_BUNDLE`, made by test/globalSetup.ts) run by node itself, so a
 * signal reaches the server (the `tsx` command is a parent process that relays SIGTERM and kills the
 * server if it has not acknowledged within 30 ms), on 127.0.0.1 with `chatEnv(env)`. Resolves once it
 * printed its URL; fails (with what it printed) if it exits first or has not within `startTimeoutMs`.
 */
export async function spawnChat(
  args: string[],
  env: Record<string, string>,
  { startTimeoutMs = 60_000 }: { startTimeoutMs?: number } = {},
): Promise<ChatProcess> {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    env: chatEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr!.on('data', (d) => (out += d))
  let timer: NodeJS.Timeout | undefined
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d
        const m = /on (http:\/\/\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${out}`)))
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`not listening after ${startTimeoutMs} ms:\n${out}`))
      }, startTimeoutMs)
    })
    return { child, url, port: Number(new URL(url).port), output: () => out }
  } finally {
    clearTimeout(timer)
  }
}

/** Stops a chat process with `signal` and waits until it is gone. */
export async function stopChatProcess(p: ChatProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const exited = once(p.child, 'exit')
  p.child.kill(signal)
  await exited
}

/**
 * A TCP proxy of the test's own in front of the chat: `cut()` drops every connection through it and
 * refuses new ones (as a lost network would), `restore()` lets them through again.
 */
export interface CutProxy {
  port: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function cutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>()
  let down = false
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy()
      return
    }
    const upstream = new Socket()
    upstream.connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    port: address.port,
    cut: () => {
      down = true
      for (const s of sockets) s.destroy()
    },
    restore: () => {
      down = false
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
