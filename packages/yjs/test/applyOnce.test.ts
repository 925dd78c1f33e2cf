import { expect, it } from 'vitest'
import { editor, live, startYjsServer, transports } from './helpers.js'

it('the room applies each update to its document once, not again when its own log hands it back', async () => {
  const { behaviour, url } = await startYjsServer(transports[0]!.factory)
  const a = editor(url, 'doc', 'ann')
  let echoes = 0
  a.client.on('custom', (frame: Record<string, unknown>) => {
    if (frame.type === 'yjs_update' && frame.roomId === 'doc') echoes++
  })
  await expect.poll(() => a.provider.synced, live).toBe(true)
  const doc = behaviour.rooms.get('doc')!.doc
  // Every Y.applyUpdate is one transaction on the room's document, a repeated one included.
  let applied = 0
  doc.on('beforeTransaction', () => {
    applied++
  })
  const text = a.doc.getText('text')
  for (let k = 1; k <= 6; k++) {
    text.insert(text.length, String(k))
    await expect.poll(() => echoes, live).toBe(k)
  }
  // The room follows its log frames in order with its members' frames: by the time it took the
  // sixth update, it had followed the first five (each published in the handler of its update).
  expect(behaviour.rooms.get('doc')!.text()).toBe('123456')
  expect(applied).toBe(6)
})
