import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import type { ChurnStep, Results, Step } from '../src/peers/types.js'
import { runScript } from './runScript.js'

/**
 * Smoke test of the peer bench (`src/peers/run.ts --tiny`): one peer by default (Hubbub on ws),
 * every peer with BENCH_PEERS_SMOKE_ALL=1 (slower: about 15 s per peer on a loaded machine).
 */
const runBench = (args: string[], env: Record<string, string> = {}) =>
  runScript('src/peers/run.ts', args, env)
const peerList = process.env.BENCH_PEERS_SMOKE_ALL
  ? ['hubbub-uws', 'raw-uws', 'hubbub-ws', 'raw-ws', 'sio-ws', 'sio-uws']
  : ['hubbub-ws']
const out = mkdtempSync(join(tmpdir(), 'peer-bench-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

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

/** Every cycle of every step joined (timed), left and closed; none failed or was skipped. */
function expectAllCycles(steps: ChurnStep[], what: string): void {
  expect(steps.length, what).toBeGreaterThan(0)
  for (const step of steps) {
    expect(step.cycles, what).toBeGreaterThan(0)
    expect(step.joined, what).toBe(step.cycles)
    expect(step.completed, what).toBe(step.cycles)
    expect(step.failed, what).toBe(0)
    expect(step.skipped, what).toBe(0)
    expect(step.latencySamples, what).toBe(step.cycles)
    expect(step.p99Ms, what).toBeGreaterThan(0)
    expect(step.p99Ms, what).toBeGreaterThanOrEqual(step.p50Ms)
    expect(step.serverCpuS, what).toBeGreaterThanOrEqual(0)
    expect(step.genCpuShare, what).toBeGreaterThan(0)
  }
}

function readResults(lines: string[]): { results: Results; files: Record<string, string> } {
  const last = JSON.parse(lines.at(-1)!) as { files: Record<string, string> }
  return { results: JSON.parse(readFileSync(last.files.json!, 'utf8')) as Results, files: last.files }
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
      expectAllCycles(peer.churn!.steps, `${peer.peer} churn`)
      // tiny offers 20 and 40 cycles/s for 0.5 s: both steps run and complete every cycle
      expect(peer.churn!.steps.map((s) => s.cycles)).toEqual([10, 20])
      expect(peer.churn!.maxCleanPerSecond, peer.peer).toBeGreaterThan(0)
      expect(peer.fanout[20]!.maxCleanPerSecond, peer.peer).toBeGreaterThan(0)
    }
    const markdown = readFileSync(last.files.md!, 'utf8')
    for (const peer of results.peers) expect(markdown).toContain(`| ${peer.label} |`)
    const svg = readFileSync(last.files.svg!, 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('<path d="M')
    expect(svg).toContain('Churn: join p99')
    expect(markdown).toContain('max clean cycles/s')
  })

  it('runs Hubbub on two nodes sharing the real Redis and delivers the fan-out room to members on both', async () => {
    const { code, lines, stderr } = await runBench(
      ['--tiny', '--peers=', '--scenarios=nodes', `--out=${out}`],
      { NODES: '2', CONNECTIONS: '200', FANOUT_MEMBERS: '20', IDLE_ROOM_SIZE: '10', FANOUT_RATE: '50' },
    )
    expect(code, stderr).toBe(0)
    const { results, files } = readResults(lines)
    const nodes = results.nodes!
    expect(nodes.nodes).toBe(2)
    expect(nodes.connections).toBe(200)
    expect(nodes.maxConnsPerNode).toBe(100)
    expect(nodes.rssPerNodeMiB).toHaveLength(2)
    expect(Number.isFinite(nodes.rssPerConnKiB)).toBe(true)
    expect(nodes.connectMs).toBeGreaterThan(0)
    expect(nodes.prefix).toMatch(/^bench-nodes-/)
    expectAllCounted([nodes.step], 20, 'nodes fan-out')
    // 50 publishes/s over the 0.5 s window, to 20 members (10 on each node)
    expect(nodes.step.expected).toBe(25 * 20)
    expect(nodes.step.p99Ms).toBeGreaterThan(0)
    // the run's keys are gone from the shared Redis (deleted by prefix, never flushed)
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    try {
      const left: string[] = []
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `{${nodes.prefix}*`, 'COUNT', 1000)
        cursor = next
        left.push(...keys)
      } while (cursor !== '0')
      expect(left).toEqual([])
    } finally {
      redis.disconnect()
    }
    expect(readFileSync(files.md!, 'utf8')).toContain('Hubbub on 2 nodes')
  })
})
