import { appendFileSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, onTestFinished, test } from 'vitest'
import { FileRoomLog, FileRoomStateStore, fileStore, StoreError } from '../src/index.js'
import { tempDir } from './tempDir.js'

const frame = (i: number) => ({ type: 'message', text: `m${i}`, i })

function useDir() {
  const { dir, remove } = tempDir('restart')
  onTestFinished(remove)
  return dir
}

async function publishMany(log: FileRoomLog, roomId: string, from: number, to: number) {
  for (let i = from; i <= to; i++) await log.publish(roomId, frame(i))
}

const logFile = (dir: string) => join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)

describe('FileRoomLog across restarts', () => {
  test('a clean restart keeps the epoch, the offsets and the frames; recovery by offset works', async () => {
    const dir = useDir()
    const first = new FileRoomLog({ dir, historySize: 50 })
    await publishMany(first, 'room/é 1', 1, 5)
    const before = await first.read('room/é 1', { limit: 50 })
    await first.shutdown()

    const second = new FileRoomLog({ dir, historySize: 50 })
    onTestFinished(() => second.shutdown())
    const after = await second.read('room/é 1', { since: { epoch: before.top.epoch, offset: 2 }, limit: 1 })
    expect(after).toEqual({
      messages: [3, 4, 5].map((i) => ({ ...frame(i), offset: i })),
      top: before.top,
      recovered: true,
    })
    expect(await second.publish('room/é 1', frame(6))).toEqual({ epoch: before.top.epoch, offset: 6 })
  })

  test('a room whose last listener closed is reopened from disk in the same epoch', async () => {
    const dir = useDir()
    const log = new FileRoomLog({ dir })
    onTestFinished(() => log.shutdown())
    const listener = () => {}
    const opened = await log.open('r', listener)
    await publishMany(log, 'r', 1, 3)
    await log.close('r', listener)
    expect(log.size).toBe(0)
    expect(await log.open('r', listener)).toEqual({ epoch: opened.epoch, offset: 3 })
  })

  test('a torn last record is dropped, never served, and the file is cut back to whole records', async () => {
    const dir = useDir()
    const first = new FileRoomLog({ dir, fsync: 'never' })
    await publishMany(first, 'r', 1, 3)
    const { top } = await first.read('r', { limit: 1 })
    await first.shutdown()
    const file = logFile(dir)
    const whole = statSync(file).size
    // Half a record: a length and a CRC, and part of the payload they announce.
    const torn = Buffer.alloc(20)
    torn.writeUInt32BE(100, 0)
    appendFileSync(file, torn)

    const errors: StoreError[] = []
    const second = new FileRoomLog({ dir, onError: (e) => errors.push(e) })
    onTestFinished(() => second.shutdown())
    const read = await second.read('r', { limit: 10 })
    expect(read.messages.map((m) => m.offset)).toEqual([1, 2, 3])
    expect(read.top).toEqual(top)
    expect(statSync(file).size).toBe(whole)
    expect(errors.map((e) => e.code)).toEqual(['truncated'])
    expect(await second.publish('r', frame(4))).toEqual({ epoch: top.epoch, offset: 4 })
  })

  test('a record whose bytes changed (CRC mismatch) is never served; a frame lost after a clean close means a new epoch', async () => {
    const dir = useDir()
    const first = new FileRoomLog({ dir })
    await publishMany(first, 'r', 1, 3)
    const { top } = await first.read('r', { limit: 1 })
    await first.shutdown()
    const file = logFile(dir)
    const bytes = readFileSync(file)
    // Flip a byte in the last record's payload.
    const at = bytes.length - 3
    const byte = bytes[at]
    if (byte === undefined) throw new Error('log file too short')
    bytes[at] = byte ^ 0xff
    writeFileSync(file, bytes)
    const errors: StoreError[] = []
    const second = new FileRoomLog({ dir, onError: (e) => errors.push(e) })
    onTestFinished(() => second.shutdown())
    const read = await second.read('r', { since: { epoch: top.epoch, offset: 1 }, limit: 10 })
    expect(errors.map((e) => e.code)).toEqual(['truncated'])
    // Frame 3 had been served (the clean close recorded offset 3): its loss is said with a new epoch.
    expect(read.recovered).toBe(false)
    expect(read.top.epoch).not.toBe(top.epoch)
    expect(read.messages.some((m) => m.offset === 3)).toBe(false)
    expect(await second.publish('r', frame(4))).toEqual({ epoch: read.top.epoch, offset: 4 })
  })

  test('a room whose log lost frames it had reached gets a new epoch, and offsets never repeat', async () => {
    const dir = useDir()
    const first = new FileRoomLog({ dir })
    await publishMany(first, 'r', 1, 4)
    const { top } = await first.read('r', { limit: 1 })
    await first.shutdown()
    unlinkSync(logFile(dir))
    const second = new FileRoomLog({ dir })
    onTestFinished(() => second.shutdown())
    const read = await second.read('r', { since: top, limit: 10 })
    expect(read.recovered).toBe(false)
    expect(read.top.epoch).not.toBe(top.epoch)
    expect(await second.publish('r', frame(5))).toEqual({ epoch: read.top.epoch, offset: 5 })
  })

  test('compaction keeps the last historySize frames in a file of at most twice that many', async () => {
    const dir = useDir()
    const log = new FileRoomLog({ dir, historySize: 10 })
    await publishMany(log, 'r', 1, 45)
    const read = await log.read('r', {
      since: { epoch: (await log.read('r', { limit: 1 })).top.epoch, offset: 35 },
      limit: 1,
    })
    expect(read.recovered).toBe(true)
    expect(read.messages.map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, k) => 36 + k))
    await log.shutdown()
    const records = readFileSync(logFile(dir))
    let count = 0
    for (let at = 0; at < records.length; at += 8 + records.readUInt32BE(at)) count++
    expect(count).toBeGreaterThanOrEqual(10)
    expect(count).toBeLessThan(20)
    const again = new FileRoomLog({ dir, historySize: 10 })
    onTestFinished(() => again.shutdown())
    expect((await again.read('r', { limit: 100 })).messages.map((m) => m.offset)).toEqual(
      Array.from({ length: 10 }, (_, k) => 36 + k),
    )
  })
})

describe('the directory lock', () => {
  test('a second store on a directory in use is refused with StoreError locked; after close it opens', async () => {
    const dir = useDir()
    const store = fileStore({ dir })
    const refused = (() => {
      try {
        fileStore({ dir })
      } catch (err) {
        return err
      }
    })()
    expect(refused).toBeInstanceOf(StoreError)
    expect((refused as StoreError).code).toBe('locked')
    expect((refused as StoreError).message).toMatch(/in use/)
    await store.close()
    const again = fileStore({ dir })
    await again.close()
  })

  test('a LOCK left by a dead process is taken over', async () => {
    const dir = useDir()
    // No process has pid 2^22 + 1 (above Linux's pid_max default).
    writeFileSync(join(dir, 'LOCK'), `${2 ** 22 + 1}\n`)
    const store = fileStore({ dir })
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid))
    await store.close()
  })
})

describe('FileRoomStateStore across restarts', () => {
  test('a snapshot survives a restart', async () => {
    const dir = useDir()
    const first = new FileRoomStateStore({ dir })
    await first.save('game', { board: [1, null] }, 7)
    await first.shutdown()
    const second = new FileRoomStateStore({ dir })
    onTestFinished(() => second.shutdown())
    expect(await second.load('game')).toEqual({ state: { board: [1, null] }, offset: 7 })
  })

  test('bad options are refused with StoreError invalid_options', () => {
    const dir = useDir()
    expect(() => new FileRoomLog({ dir, historySize: -1 })).toThrow(/historySize/)
    expect(() => new FileRoomLog({ dir, fsync: 'sometimes' as never })).toThrow(/fsync/)
    expect(() => new FileRoomStateStore({ dir, fsyncIntervalMs: 0 })).toThrow(/fsyncIntervalMs/)
  })
})
