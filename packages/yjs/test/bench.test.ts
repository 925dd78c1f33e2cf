import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs `bench/run.ts` as `pnpm bench` does, with tiny parameters; resolves with its stdout. */
function runBench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@hubbub/source', join(root, 'bench/run.ts'), ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bench exited ${code}: ${err}`)),
    )
  })
}

test('the yjs bench runs Hubbub and Hocuspocus end to end and ends with its JSON summary', async () => {
  const out = await runBench([
    '--docs=2',
    '--editors=2',
    '--rate=10',
    '--warmup=0.2',
    '--seconds=1',
    '--servers=hubbub-ws,hocuspocus',
  ])
  const lines = out.trim().split('\n')
  const summary = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
  for (const key of ['relayP99Ms', 'hocuspocusRelayP99Ms', 'cpuPerUpdateVsHocuspocus', 'bytesPerDocument']) {
    expect(typeof summary[key], key).toBe('number')
    expect(Number.isFinite(summary[key]), key).toBe(true)
  }
  // A run per server in each half of the paired order, and every delivery of a measured send arrived.
  const rows = lines.filter((l) => /^(hubbub-ws|hocuspocus) /.test(l))
  expect(rows).toHaveLength(2 * 2 + 2)
  for (const r of rows) expect(r.split(/\s+/)[7]).toBe('0')
}, 90_000)
