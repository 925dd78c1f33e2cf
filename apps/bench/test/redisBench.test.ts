import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { runScript } from './runScript.js'

const runBench = (args: string[]) => runScript('src/redis/redisFanout.ts', args)
const members = 30
const publishes = 60
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0
if (!hasRedisServer) console.warn('skipping the Redis bench smoke test: redis-server is not installed')

describe.skipIf(!hasRedisServer)('the Redis fan-out bench (quick mode)', () => {
  it('prints a table and, last, a JSON line whose every row delivered each message to every member', async () => {
    const { code, lines, stderr } = await runBench([
      '--quick',
      `--members=${members}`,
      `--publishes=${publishes}`,
      '--warmup=10',
      '--transport=ws,uws',
    ])
    expect(code, stderr).toBe(0)
    const json = JSON.parse(lines.at(-1)!) as Record<string, unknown> & {
      transports: Record<string, Record<string, unknown>>
      peer: Record<string, unknown>
    }
    expect(json.bench).toBe('redis-fanout')
    expect(json.members).toBe(members)
    // 3 Hubbub rows per transport and 3 Socket.IO rows, each run twice in the round (forwards and
    // backwards), each trial `publishes` messages to every member.
    expect(json.rounds).toBe(1)
    expect(json.expectedDeliveries).toBe(9 * 2 * publishes * members)
    expect(json.samePublishes).toBe(true)
    expect(json.deliveries).toBe(json.expectedDeliveries)
    expect(json.allDelivered).toBe(true)
    expect(typeof json.cpuRatio2NodeVs1Node).toBe('number')
    for (const transport of ['ws', 'uws']) {
      const row = json.transports[transport]!
      for (const field of [
        'cpuRatio2NodeVs1Node',
        'cpuRatioWithRedis',
        'cpuMsPer1M',
        'redisCpuMsPer1M',
        'redisBytesPerMember',
        'burstMs',
      ])
        expect(row, `${transport}.${field}`).toHaveProperty(field)
      expect(row.cpuRatio2NodeVs1Node).toBeGreaterThan(0)
    }
    expect(json.peer).toHaveProperty('cpuRatio2NodeVs1Node')
    expect(lines.some((line) => line.startsWith('hubbub uws 2 nodes on Redis'))).toBe(true)
  })
})
