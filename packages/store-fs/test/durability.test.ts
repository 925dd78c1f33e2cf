import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'
import { FileRoomLog } from '../src/index.js'
import { tempDir } from './tempDir.js'

// CI-sized by default; DURABILITY_MESSAGES=10000 is the full run of issue 19's acceptance.
const total = Number(process.env.DURABILITY_MESSAGES ?? 2000)
const fixture = fileURLToPath(new URL('./fixtures/appender.ts', import.meta.url))

interface Ack {
  i: number
  offset: number
  epoch: string
}

test(`kill -9 while appending (${total} messages, fsync always): every acknowledged message survives, in order, once`, async () => {
  const { dir, remove } = tempDir('durability')
  onTestFinished(remove)
  const killAt = Math.floor(total * (0.2 + Math.random() * 0.6))
  const acks: Ack[] = []
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@hubbub/source', '--import', 'tsx', fixture],
    {
      env: { ...process.env, STORE_DIR: dir, DURABILITY_MESSAGES: String(total) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  )
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      const [word, i, offset, epoch] = line.split(' ')
      if (word !== 'ack') continue
      acks.push({ i: Number(i), offset: Number(offset), epoch: epoch! })
      if (acks.length === killAt) child.kill('SIGKILL')
    }
  })
  const signal = await exited
  console.log(
    `durability: killed after ${acks.length} acks (aimed at ${killAt} of ${total}), signal ${signal}`,
  )
  expect(acks.length).toBeGreaterThanOrEqual(killAt)

  // The dead process's LOCK is stale: taken over.
  const log = new FileRoomLog({ dir, historySize: total })
  onTestFinished(() => log.shutdown())
  const read = await log.read('durable', { limit: total })
  // One epoch, kept: the recovery positions clients hold stay valid.
  expect(new Set(acks.map((a) => a.epoch)).size).toBe(1)
  expect(read.top.epoch).toBe(acks[0]!.epoch)
  // The log is 1..top with no hole or duplicate, each frame where its publish said.
  expect(read.messages.map((m) => m.offset)).toEqual(Array.from({ length: read.top.offset }, (_, k) => k + 1))
  const atOffset = new Map(read.messages.map((m) => [m.offset, m]))
  for (const ack of acks) expect(atOffset.get(ack.offset)?.i).toBe(ack.i)
  expect(new Set(read.messages.map((m) => m.i)).size).toBe(read.messages.length)
  expect(read.top.offset).toBeGreaterThanOrEqual(acks.length)
  // Recovery from any acknowledged position works across the crash.
  const last = acks.at(-1)!
  const since = await log.read('durable', { since: { epoch: last.epoch, offset: last.offset }, limit: 1 })
  expect(since.recovered).toBe(true)
})
