import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { CHAT_ENV_KEYS } from '../src/index.js'
import { chatEnv, spawnChat, stopChatProcess } from './support/processes.js'

/**
 * Starts the CLI (built from source, run by node itself: see `spawnChat`) on a free port and
 * resolves with its output once it printed the URL.
 */
async function startCli(args: string[], env: Record<string, string> = {}) {
  // In memory unless a test says otherwise: several CLIs at once cannot share ./.hubbub-data.
  const cli = await spawnChat(args, { PORT: '0', DATA_DIR: '', ...env })
  onTestFinished(() => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
  })
  return cli
}

describe.each(['ws', 'uws'])('the CLI with --transport %s', (transport) => {
  test('prints the URL, serves the page, and drains on SIGTERM (SERVER_SHUTDOWN, 1001, exit 0)', async () => {
    const { child, url, output } = await startCli(['--transport', transport])
    expect(output()).toContain(`(${transport} transport)`)
    // Every route the startup lines name answers.
    await expect.poll(() => output(), { timeout: 10_000 }).toContain('transport  ')
    expect(output()).toContain(`${url.replace('http', 'ws')}/ws`)
    for (const path of ['/health', '/api/stats', '/metrics']) {
      expect(output()).toContain(`${url}${path}`)
      expect((await fetch(`${url}${path}`)).status, path).toBe(200)
    }
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('hubbub-client.iife.js')

    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
    const frames: { type: string; code?: string }[] = []
    ws.on('message', (data) => frames.push(JSON.parse(String(data))))
    await once(ws, 'open')
    ws.send(JSON.stringify({ type: 'join', roomId: 'general', username: 'ann' }))
    await expect.poll(() => frames.map((f) => f.type), { timeout: 10_000 }).toContain('joined')

    const closed = once(ws, 'close')
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const [code] = await closed
    expect(code).toBe(1001)
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'SERVER_SHUTDOWN' })
    expect((await exited)[0]).toBe(0)
  })
})

test('the inspector is on, behind INSPECTOR_SECRET or a random secret it prints as /inspector/#<secret>', async () => {
  const given = await startCli([], { INSPECTOR_SECRET: 'given-inspector-secret' })
  const snapshot = (url: string, secret?: string) =>
    fetch(`${url}/inspector/snapshot`, secret ? { headers: { authorization: `Bearer ${secret}` } } : {})
  expect((await snapshot(given.url)).status).toBe(401)
  expect((await snapshot(given.url, 'given-inspector-secret')).status).toBe(200)

  const random = await startCli([], { INSPECTOR_SECRET: '' })
  const printedUrl = /\/inspector\/#(\S+)/
  await expect.poll(() => printedUrl.exec(random.output())?.[1], { timeout: 10_000 }).toBeDefined()
  const printed = printedUrl.exec(random.output())![1]!
  expect(printed.length).toBeGreaterThanOrEqual(32)
  expect((await snapshot(random.url, printed)).status).toBe(200)
  expect((await snapshot(random.url, 'given-inspector-secret')).status).toBe(401)
})

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Deletes this run's keys under `prefix` (never anything else) from the shared Redis. */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    for (const match of [`{${prefix}*`, `${prefix}*`]) {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000)
        if (keys.length > 0) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
    }
  } finally {
    await redis.quit()
  }
}

describe("a spawned CLI takes none of the test process's chat settings", () => {
  test('chatEnv drops every variable the CLI reads (and HUBBUB_*), keeps the rest, and sets what it is given', () => {
    const parent: NodeJS.ProcessEnv = { PATH: '/bin', HOME: '/home/ci', HUBBUB_ANYTHING: 'x' }
    for (const key of CHAT_ENV_KEYS) parent[key] = `from-parent-${key}`
    const env = chatEnv({ DATA_DIR: '/tmp/given', PORT: '0' }, parent)
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/ci',
      HOST: '127.0.0.1',
      DATA_DIR: '/tmp/given',
      PORT: '0',
    })
  })

  // What broke the restart page test on CI: CI sets REDIS_URL for the Redis suites, the spawned chat
  // inherited it, and every spawned chat shared one Redis history under the default prefix.
  test('with REDIS_URL, REDIS_PREFIX, NODE_ID and TRANSPORT set here, the CLI still keeps history in its own DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-env-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const prefix = `hubbub-test:chat-demo-leak:${process.pid}:${Math.random().toString(36).slice(2, 10)}`
    const leaked = {
      REDIS_URL,
      REDIS_PREFIX: prefix,
      NODE_ID: 'leaked-node-id',
      TRANSPORT: 'uws',
      HUBBUB_LEAK: '1',
    }
    const saved = Object.fromEntries(Object.keys(leaked).map((key) => [key, process.env[key]]))
    Object.assign(process.env, leaked)
    onTestFinished(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    // A leaked REDIS_URL to an unreachable Redis would hang the start: fail after 30 s instead.
    const cli = await spawnChat([], { PORT: '0', DATA_DIR: dataDir }, { startTimeoutMs: 30_000 })
    onTestFinished(async () => {
      if (cli.child.exitCode === null) await stopChatProcess(cli, 'SIGKILL')
      // Keys only exist if the settings leaked (the failure this test is for): leave Redis clean.
      if (cli.output().includes('one node of several')) await deleteKeys(prefix)
    })
    await expect.poll(() => cli.output(), { timeout: 10_000 }).toContain(`history kept in ${dataDir}`)
    expect(cli.output()).not.toContain('one node of several')
    expect(cli.output()).toContain('(ws transport)')
    const stats = (await (await fetch(`${cli.url}/api/stats`)).json()) as { nodeId: string; nodes: unknown[] }
    expect(stats.nodeId).not.toBe('leaked-node-id')
    expect(stats.nodes).toHaveLength(1)
  })
})

/** Why Redis cannot be used here, or undefined; with REQUIRE_REDIS=1 (CI) a missing Redis fails. */
async function redisMissing(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (err) {
    if (process.env.REQUIRE_REDIS === '1') throw err
    return `Redis at ${REDIS_URL} is not reachable (${(err as Error).message})`
  } finally {
    redis.disconnect()
  }
}
const missing = await redisMissing()

describe.skipIf(missing !== undefined)(
  `two CLI nodes on one Redis${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    test('members on different nodes share a room: presence, messages with the same offsets, and history', async () => {
      const prefix = `hubbub-test:chat-demo:${process.pid}:${Math.random().toString(36).slice(2, 10)}`
      onTestFinished(() => deleteKeys(prefix))
      const env = { REDIS_URL, REDIS_PREFIX: prefix }
      const one = await startCli(['--transport', 'ws'], { ...env, NODE_ID: 'one' })
      const two = await startCli(['--transport', 'uws'], { ...env, NODE_ID: 'two' })
      expect(one.output()).toContain('one node of several')

      const member = async (url: string, name: string) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
        const frames: Record<string, any>[] = []
        ws.on('message', (data) => frames.push(JSON.parse(String(data))))
        onTestFinished(() => ws.terminate())
        await once(ws, 'open')
        ws.send(JSON.stringify({ type: 'join', roomId: 'lobby', username: name }))
        await expect.poll(() => frames.some((f) => f.type === 'joined'), { timeout: 10_000 }).toBe(true)
        return { ws, frames }
      }
      const ann = await member(one.url, 'ann')
      const bob = await member(two.url, 'bob')
      await expect
        .poll(() => ann.frames.some((f) => f.type === 'presence_diff' && f.joins.includes('bob')), {
          timeout: 10_000,
        })
        .toBe(true)
      bob.ws.send(JSON.stringify({ type: 'message', roomId: 'lobby', text: 'hi from two' }))
      ann.ws.send(JSON.stringify({ type: 'message', roomId: 'lobby', text: 'hi from one' }))
      const texts = (frames: Record<string, any>[]) =>
        frames.filter((f) => f.type === 'message').map((f) => `${f.offset}:${f.text}`)
      await expect.poll(() => texts(ann.frames).length, { timeout: 10_000 }).toBe(2)
      await expect.poll(() => texts(bob.frames), { timeout: 10_000 }).toEqual(texts(ann.frames))
      for (const { ws } of [ann, bob]) ws.send(JSON.stringify({ type: 'list_users', roomId: 'lobby' }))
      for (const { frames } of [ann, bob])
        await expect
          .poll(() => frames.find((f) => f.type === 'user_list')?.users?.sort(), { timeout: 10_000 })
          .toEqual(['ann', 'bob'])
    })
  },
)
