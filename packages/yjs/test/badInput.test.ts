import { HubbubError } from '@hubbub/client'
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { checkUpdate, SYNC_UPDATE } from '../src/index.js'
import { editor, live, startYjsServer, transports, yjsClient } from './helpers.js'

function syncUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, SYNC_UPDATE)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/** An update of 'text' made by a fresh document (client `clientID`), on top of nothing. */
function freshUpdate(text: string, clientID?: number): Uint8Array {
  const doc = new Y.Doc()
  if (clientID !== undefined) doc.clientID = clientID
  doc.getText('text').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

/** Deterministic pseudo-random bytes (xorshift), so the test sends the same bytes on every run. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

describe('checkUpdate', () => {
  it('never throws on random bytes, and whatever it accepts applies cleanly (no pending structs)', () => {
    const base = new Y.Doc()
    base.getText('text').insert(0, 'base text')
    const snapshot = Y.encodeStateAsUpdate(base)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const doc = new Y.Doc()
        Y.applyUpdate(doc, snapshot)
        const refused = checkUpdate(doc, bytes)
        if (refused === undefined) {
          Y.applyUpdate(doc, bytes)
          expect(doc.store.pendingStructs).toBeNull()
          expect(doc.store.pendingDs).toBeNull()
        }
        expect(typeof doc.getText('text').toString()).toBe('string')
      }),
      { numRuns: Number(process.env.YJS_FUZZ_RUNS ?? 300) },
    )
  })

  it('refuses a truncated update and one that depends on changes the document lacks', () => {
    const doc = new Y.Doc()
    const update = freshUpdate('hello there')
    expect(checkUpdate(doc, update.subarray(0, update.byteLength - 4))).toMatch(/not a Yjs update/)
    const other = new Y.Doc()
    Y.applyUpdate(other, update)
    const before = Y.encodeStateVector(other)
    other.getText('text').insert(5, ',')
    const next = Y.encodeStateAsUpdate(other, before) // depends on `update`, which doc lacks
    expect(checkUpdate(doc, next)).toMatch(/document has 0|does not have/)
    expect(checkUpdate(doc, update)).toBeUndefined()
  })
})

describe.each(transports)('bad input over $name', ({ factory }) => {
  it('truncated, oversized, random-byte and gapped updates get an error frame; the document stays readable', async () => {
    const { behaviour, url } = await startYjsServer(factory, { maxUpdateBytes: 1024 })
    const good = editor(url, 'doc', 'ann')
    await expect.poll(() => good.provider.synced, live).toBe(true)
    good.doc.getText('text').insert(0, 'steady')
    await expect.poll(() => behaviour.rooms.get('doc')?.text(), live).toBe('steady')

    const mallory = yjsClient(url)
    await mallory.join('doc', { username: 'mallory' })
    const real = freshUpdate('x'.repeat(200))
    const dependent = (() => {
      const d = new Y.Doc()
      Y.applyUpdate(d, real)
      const sv = Y.encodeStateVector(d)
      d.getText('text').insert(0, 'y')
      return Y.encodeStateAsUpdate(d, sv)
    })()
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', syncUpdate(real.subarray(0, 40)), /not a Yjs update/],
      ['oversized', syncUpdate(freshUpdate('z'.repeat(2000))), /over the room's limit of 1024/],
      ['random bytes', syncUpdate(noise(200, 0x9e3779b9)), /refused/],
      ['gapped', syncUpdate(dependent), /does not have|document has/],
      ['not a sync message', noise(3, 7), /yjs_sync/],
      ['random awareness', noise(50, 42), /awareness/],
    ]
    for (const [name, data, reason] of cases) {
      const type = name === 'random awareness' ? 'yjs_awareness' : 'yjs_sync'
      const answer = mallory.request({ type, roomId: 'doc', data } as never)
      await expect(answer, name).rejects.toBeInstanceOf(HubbubError)
      await expect(answer, name).rejects.toMatchObject({
        code: 'INVALID_MESSAGE',
        message: expect.stringMatching(reason),
      })
    }
    expect(mallory.state).toBe('open')
    // The room is alive and its document unchanged: edits still flow, a newcomer reads it whole.
    good.doc.getText('text').insert(6, '!')
    await expect.poll(() => behaviour.rooms.get('doc')?.text(), live).toBe('steady!')
    const late = editor(url, 'doc', 'bob')
    await expect.poll(() => late.text(), live).toBe('steady!')
  })

  it('an update rate above the limit is refused with RATE_LIMITED', async () => {
    const { url } = await startYjsServer(factory, { updatesPerSecond: 1, updateBurst: 2 })
    const client = yjsClient(url)
    await client.join('doc', { username: 'fast' })
    const doc = new Y.Doc()
    const answers: Promise<unknown>[] = []
    for (let i = 0; i < 4; i++) {
      const sv = Y.encodeStateVector(doc)
      doc.getText('text').insert(0, `${i}`)
      const a = client.request({
        type: 'yjs_sync',
        roomId: 'doc',
        data: syncUpdate(Y.encodeStateAsUpdate(doc, sv)),
      } as never)
      a.catch(() => {})
      answers.push(a)
    }
    // Accepted updates have no direct answer (their relay is the acknowledgement); the refused one does.
    await expect(answers[2]).rejects.toMatchObject({ code: 'RATE_LIMITED' })
  })
})
