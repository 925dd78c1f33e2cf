import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { Results, Step } from '../src/peers/types.js'

/**
 * Smoke test of the peer bench (`src/peers/run.ts --tiny`): one peer by default (Hubbub on ws),
 * every peer with BENCH_PEERS_SMOKE_ALL=1 (slower: about 15 s per peer on a loaded machine).
 */
const script = fileURLToPath(new URL('../src/peers/run.ts', import.meta.url))
const peerList = process.env.BENCH_PEERS_SMOKE_ALL
  ? ['hubbub-uws', 'raw-uws', 'hubbub-ws', 'raw-ws', 'sio-ws', 'sio-uws']
  : ['hubbub-ws']
const out = mkdtempSync(join(tmpdir(), 'peer-bench-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

function runBench(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, lines: stdout.trim().split('\n'), stderr })),
  )
}

/** Every message sent in the window reached every member exactly once, and each delivery was timed. */
function expectAllCounted(steps: Step[], members: number, what: string): void {
  expect(steps.length, what).toBeGreaterThan(0)
  for (const step of steps) {
    expect(step.expected, what).toBeGreaterThan(0)
    expect(step.expected % members, what).toBe(0)
    expect(step.delivered, what).toBe(step.expected)
    expect(step.lost, what).toBe(0)
    expect(step.dups, what).toBe(0)
    expect(step.latencySamples, what).toBe(step.delivered)
    expect(step.serverCpuS, what).toBeGreaterThanOrEqual(0)
    expect(step.genCpuShare, what).toBeGreaterThan(0)
  }
}

describe('the peer bench (tiny sizes)', () => {
  it('writes JSON, Markdown and SVG, and counts every delivered message of every scenario', async () => {
    const { code, lines, stderr } = await runBench([
      '--tiny',
      `--peers=${peerList.join(',')}`,
      `--out=${out}`,
    ])
    expect(code, stderr).toBe(0)
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown> & { files: Record<string, string> }
    for (const key of [
      'uwsVsRawUwsCpu',
      'wsVsRawWsThroughput',
      'wsJoinVsRawWs',
      'uwsJoinVsRawUws',
      'clientTrusted',
    ])
      expect(last).toHaveProperty(key)
    const results = JSON.parse(readFileSync(last.files.json!, 'utf8')) as Results
    expect(results.bench).toBe('peers')
    expect(results.mode).toBe('tiny')
    expect(results.peers.map((p) => p.peer)).toEqual(peerList)
    for (const peer of results.peers) {
      expect(peer.join?.conns, peer.peer).toBe(40)
      expect(peer.join?.ms, peer.peer).toBeGreaterThan(0)
      expect(Number.isFinite(peer.join?.rssPerConnKiB), peer.peer).toBe(true)
      expect(peer.join?.oneMoreJoinMs, peer.peer).toBeGreaterThan(0)
      expectAllCounted(peer.fanout[20]!.steps, 20, `${peer.peer} fan-out`)
      expectAllCounted(peer.rooms!.steps, 5, `${peer.peer} many rooms`)
      expect(peer.fanout[20]!.maxCleanPerSecond, peer.peer).toBeGreaterThan(0)
    }
    const markdown = readFileSync(last.files.md!, 'utf8')
    for (const peer of results.peers) expect(markdown).toContain(`| ${peer.label} |`)
    const svg = readFileSync(last.files.svg!, 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('<path d="M')
  })
})
