#!/usr/bin/env node
// `pnpm test:stress [--runs N] [--load K] [-- <vitest args>]`: runs the test suite N times (default 10)
// while K busy loops (default 2, one per core here) keep the CPUs saturated, then prints every test
// that failed, with how often. Exits 1 if any test failed in any run. Run it before finishing a change
// that touches timing, sockets or the browser tests; a test that fails once here will fail CI one day.
//
// Examples:
//   pnpm test:stress --runs 10
//   pnpm test:stress --runs 20 -- --project chat-demo
//   pnpm test:stress --runs 50 --load 2 -- packages/client/test/recovery.test.ts
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const argv = process.argv.slice(2)
const dashdash = argv.indexOf('--')
const own = dashdash === -1 ? argv : argv.slice(0, dashdash)
const vitestArgs = dashdash === -1 ? [] : argv.slice(dashdash + 1)

function flag(name, fallback) {
  const i = own.indexOf(name)
  if (i === -1) return fallback
  const value = Number(own[i + 1])
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} takes a whole number, got ${own[i + 1]}`)
    process.exit(2)
  }
  return value
}
const runs = flag('--runs', 10)
const load = flag('--load', cpus().length)

const outDir = join(root, '.stress')
rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })

// Busy loops in their own processes, so the suite competes for every core as it would on a loaded CI box.
const burners = Array.from({ length: load }, () =>
  spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
)
const stopBurners = () => {
  for (const b of burners) b.kill('SIGKILL')
}
process.on('exit', stopBurners)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopBurners()
    process.exit(130)
  })
}

function runOnce(i) {
  const file = join(outDir, `run-${i}.json`)
  return new Promise((done) => {
    const started = Date.now()
    const child = spawn(
      'pnpm',
      [
        'exec',
        'vitest',
        'run',
        '--reporter=dot',
        '--reporter=json',
        `--outputFile.json=${file}`,
        ...vitestArgs,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } },
    )
    child.on('exit', (code) => done({ code, file, seconds: (Date.now() - started) / 1000 }))
  })
}

const failures = new Map() // "file > test" -> { count, first message }
let failedRuns = 0
let totalPassed = 0
let totalFailed = 0
console.log(`stress: ${runs} run(s) of vitest ${vitestArgs.join(' ')} with ${load} busy loop(s)`)
for (let i = 1; i <= runs; i++) {
  const { code, file, seconds } = await runOnce(i)
  let report
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    report = undefined
  }
  if (!report) {
    failedRuns++
    const key = `(run ${i}) vitest wrote no report, exit ${code}`
    failures.set(key, { count: 1, message: '' })
    console.log(`run ${i}/${runs}: no report (exit ${code}) in ${seconds.toFixed(0)} s`)
    continue
  }
  let failedHere = 0
  for (const suite of report.testResults ?? []) {
    const rel = relative(root, String(suite.name))
    const asserted = suite.assertionResults ?? []
    if (suite.status === 'failed' && asserted.every((a) => a.status !== 'failed')) {
      failedHere++
      const key = `${rel} (suite)`
      const entry = failures.get(key) ?? { count: 0, message: String(suite.message ?? '').split('\n')[0] }
      entry.count++
      failures.set(key, entry)
    }
    for (const a of asserted) {
      if (a.status !== 'failed') continue
      failedHere++
      const key = `${rel} > ${a.fullName}`
      const entry = failures.get(key) ?? {
        count: 0,
        message: String(a.failureMessages?.[0] ?? '').split('\n')[0],
      }
      entry.count++
      failures.set(key, entry)
    }
  }
  totalPassed += report.numPassedTests ?? 0
  totalFailed += failedHere
  if (failedHere > 0 || code !== 0) failedRuns++
  console.log(
    `run ${i}/${runs}: ${report.numPassedTests} passed, ${failedHere} failed, ${report.numPendingTests ?? 0} skipped, exit ${code}, ${seconds.toFixed(0)} s`,
  )
}
stopBurners()

console.log('')
if (failures.size === 0) {
  console.log(`stress: 0 failures in ${runs} run(s) (${totalPassed} test passes) with ${load} busy loop(s)`)
} else {
  console.log(`stress: ${failedRuns} of ${runs} run(s) failed; failing tests, most frequent first:`)
  for (const [key, { count, message }] of [...failures].sort((a, b) => b[1].count - a[1].count)) {
    console.log(`  ${count}/${runs}  ${key}`)
    if (message) console.log(`         ${message.slice(0, 200)}`)
  }
}
console.log(`${totalPassed} passed, ${totalFailed} failed`)
process.exit(failures.size === 0 ? 0 : 1)
