import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import WebSocket from 'ws'

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/**
 * Starts the CLI from source on a free port and resolves with its output once it printed the URL.
 * Node itself runs it (tsx as a loader), not the `tsx` command: that one is a parent process which
 * relays SIGTERM and kills the server if it has not acknowledged within 30 ms, so a stalled machine
 * would turn the drain under test into a SIGKILL.
 */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@hubbub/source', '--import', 'tsx', main, ...args],
    {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  child.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const m = /on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${out}`)))
  })
  return { child, url, output: () => out }
}

describe.each(['ws', 'uws'])('the CLI with --transport %s', (transport) => {
  test('prints the URL, serves the page, and drains on SIGTERM (SERVER_SHUTDOWN, 1001, exit 0)', async () => {
    const { child, url, output } = await startCli(['--transport', transport], {
      REDIS_URL: 'redis://127.0.0.1:1',
    })
    expect(output()).toContain(`(${transport} transport)`)
    // The notice goes to stderr, the URL to stdout: two pipes, no order between them.
    await vi.waitFor(() => expect(output()).toMatch(/REDIS_URL is set.*@hubbub\/redis.*single-node/))
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
