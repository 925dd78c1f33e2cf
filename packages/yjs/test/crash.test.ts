import type { SequencedFrame } from '@hubbub/rooms'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { YjsSnapshot } from '../src/index.js'
import { editor, live, startYjsServer, transports } from './helpers.js'

describe.each(transports)('a crashed Yjs room over $name', ({ factory }) => {
  it('restarts from its snapshot and the log after it: no acknowledged edit is lost, members resync', async () => {
    // Snapshots every 7 updates: the restart needs both the snapshot and the log after it.
    const { server, behaviour, log, state, url } = await startYjsServer(factory, { snapshotEveryUpdates: 7 })
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    // Acknowledged: the room relayed the update back to its sender with an offset.
    const acked: Uint8Array[] = []
    a.client.on('custom', (f) => {
      const frame = f as unknown as { type: string; update?: Uint8Array; offset?: number }
      if (frame.type === 'yjs_update' && frame.update && typeof frame.offset === 'number')
        acked.push(frame.update)
    })
    const ackedText = () => {
      const merged = new Y.Doc()
      for (const update of acked) Y.applyUpdate(merged, update)
      return merged.getText('text').toString()
    }
    for (let i = 0; i < 20; i++) {
      a.doc.getText('text').insert(a.doc.getText('text').length, `a${i} `)
      if (i % 3 === 0) b.doc.getText('text').insert(0, `b${i} `)
      // One update each (the provider merges the edits of one turn into one frame).
      await expect.poll(() => ackedText().includes(`a${i} `), live).toBe(true)
    }
    // Every edit of both is acknowledged (crashing earlier would be fine too, but then the check below could not name one).
    await expect.poll(() => ackedText().includes('a19 ') && ackedText() === b.text(), live).toBe(true)
    // At least one acknowledged edit lives only in the log (after the last snapshot), so the
    // restart has to replay it (27 updates with a snapshot every 7 leave 6; this makes sure).
    const top = () => (log.read('doc', { limit: 1 }) as { top: { epoch: string; offset: number } }).top
    if (top().offset === state.load('doc')?.offset) {
      a.doc.getText('text').insert(0, 'extra ')
      await expect.poll(() => ackedText().includes('extra '), live).toBe(true)
    }
    const before = behaviour.rooms.get('doc')!
    const ref = server.rooms.whereis('doc')!
    server.system.exit(ref, { error: new Error('injected room crash') })
    await expect
      .poll(() => behaviour.rooms.get('doc') !== before && server.rooms.whereis('doc') !== undefined, live)
      .toBe(true)

    // The store and the log hold every acknowledged edit: snapshot + the frames after its offset.
    const snap = state.load('doc')!
    expect(snap.offset).toBeGreaterThan(0)
    const { epoch, offset } = top()
    expect(offset).toBeGreaterThan(snap.offset)
    const stored = new Y.Doc()
    Y.applyUpdate(stored, Buffer.from((snap.state as YjsSnapshot).update, 'base64'))
    const after = log.read('doc', { since: { epoch, offset: snap.offset }, limit: 1000 }) as {
      messages: SequencedFrame[]
      recovered: boolean
    }
    expect(after.recovered).toBe(true)
    for (const frame of after.messages) Y.applyUpdate(stored, frame.update as Uint8Array)
    const reference = new Y.Doc()
    for (const update of acked) Y.applyUpdate(reference, update)
    expect(stored.getText('text').toString()).toBe(reference.getText('text').toString())
    expect(stored.getText('text').toString()).toContain('a19 ')

    // Members rejoin and resync; edits after the restart flow again.
    a.doc.getText('text').insert(0, 'after ')
    const expected = () => behaviour.rooms.get('doc')?.text()
    await expect.poll(() => expected()?.startsWith('after '), live).toBe(true)
    await expect.poll(() => a.text(), live).toBe(expected())
    await expect.poll(() => b.text(), live).toBe(expected())
  })
})
