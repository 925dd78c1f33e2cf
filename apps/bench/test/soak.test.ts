import { describe, expect, it } from 'vitest'
import { runScript } from './runScript.js'

/**
 * Smoke test of the soak (`src/soak/soak.ts`) at tiny sizes: the stepped search, the fan-out load
 * beside the churners and stayers, and the last line's JSON. RSS growth over a few seconds is
 * noise, so `--max-growth` is lifted here; what is checked is that every message is counted.
 */
const runSoak = (args: string[]) => runScript('src/soak/soak.ts', args)

interface SoakJson {
  pass: boolean
  lost: number
  disorder: number
  churned: number
  load: {
    members: number
    maxCleanPerSecond: number | null
    given: boolean
    offeredPerSecond: number
    expected: number
    delivered: number
    lost: number
    dup: number
  }
  series: Array<{ s: number; rss: number; heapUsed: number | null; fanPerSecond: number }>
}

const tiny = ['--members', '20', '--rooms', '2', '--churners', '3', '--every', '3', '--max-growth', '1000']

describe('the soak (tiny sizes)', () => {
  it('searches the fan-out maximum, soaks at half of it and counts every message', async () => {
    const { code, lines, stderr } = await runSoak([
      ...tiny,
      '--minutes',
      '0.2',
      '--steps',
      '2000,4000',
      // the search is judged on counts only: latency on a loaded test machine is not
      '--p99',
      '60000',
    ])
    expect(code, `${lines.join('\n')}\n${stderr}`).toBe(0)
    expect(lines).toContain('PASS')
    const json = JSON.parse(lines.at(-1)!) as SoakJson
    expect(json.pass).toBe(true)
    expect(json.load.given).toBe(false)
    expect(json.load.maxCleanPerSecond).toBeGreaterThan(0)
    expect(json.load.offeredPerSecond).toBe(Math.round(json.load.maxCleanPerSecond! / 2))
    expect(json.load.expected).toBeGreaterThan(0)
    expect(json.load.expected % 20).toBe(0)
    expect(json.load.delivered).toBe(json.load.expected)
    expect([json.load.lost, json.load.dup, json.lost, json.disorder]).toEqual([0, 0, 0, 0])
    expect(json.series.length).toBeGreaterThanOrEqual(3)
    // heapUsed is null for a sample the server answered late (RSS then read from /proc)
    for (const sample of json.series) expect(sample.rss).toBeGreaterThan(sample.heapUsed ?? 0)
    expect(json.churned).toBeGreaterThan(0)
  })

  it('soaks at the rate --load gives without a search', async () => {
    const { code, lines, stderr } = await runSoak([...tiny, '--minutes', '0.1', '--load', '1000'])
    expect(code, `${lines.join('\n')}\n${stderr}`).toBe(0)
    expect(lines.some((l) => l.startsWith('search'))).toBe(false)
    const json = JSON.parse(lines.at(-1)!) as SoakJson
    expect(json.load).toMatchObject({ given: true, maxCleanPerSecond: null, offeredPerSecond: 1000 })
    expect(json.load.delivered).toBe(json.load.expected)
    expect(json.load.expected).toBeGreaterThan(0)
  })
})
