import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerFrame } from '@hubbub/protocol'
import { expect, onTestFinished, test } from 'vitest'
import { ChatServer } from '../src/index.js'

/** An in-process client of `chat`: the frames the server sent it. */
async function peer(chat: ChatServer) {
  const frames: ServerFrame[] = []
  const conn = await chat.handleConnection((frame) => frames.push(frame))
  const of = <T extends ServerFrame['type']>(type: T) =>
    frames.filter((f) => f.type === type) as Extract<ServerFrame, { type: T }>[]
  return { ...conn, frames, of }
}

test('with dataDir, history and the epoch survive a restart, and a client recovers by offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubbub-chat-data-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const options = { heartbeatMs: 0, roomGraceMs: 0, dataDir: dir }

  const first = new ChatServer(options)
  await first.start()
  onTestFinished(() => first.stop({ graceMs: 0 }))
  const ann = await peer(first)
  await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
  for (let i = 1; i <= 3; i++) await ann.onMessage({ type: 'message', roomId: 'general', text: `m${i}` })
  await expect.poll(() => ann.of('message').length).toBe(3)
  const epoch = ann.of('joined')[0]?.epoch
  expect(epoch).toBeTruthy()
  await first.stop({ graceMs: 0 })
  expect(existsSync(join(dir, 'LOCK'))).toBe(false)

  const second = new ChatServer(options)
  await second.start()
  onTestFinished(() => second.stop({ graceMs: 0 }))
  const back = await peer(second)
  await back.onMessage({ type: 'join', roomId: 'general', username: 'ann', since: { offset: 1, epoch } })
  await expect.poll(() => back.of('history').length).toBe(1)
  expect(back.of('joined')[0]).toMatchObject({ epoch, offset: 3 })
  const history = back.of('history')[0]
  expect(history?.recovered).toBe(true)
  expect(history?.messages.map((m) => [m.offset, m.text])).toEqual([
    [2, 'm2'],
    [3, 'm3'],
  ])
})
