import { expect, test } from 'vitest'
import { MemoryRoomStateStore } from '../src/MemoryRoomStateStore.js'

test('MemoryRoomStateStore keeps the state by reference and answers a copy of the record', () => {
  const store = new MemoryRoomStateStore()
  const state = { board: [1, 2] }
  store.save('r', state, 3)
  const loaded = store.load('r')!
  expect(loaded.state).toBe(state)
  loaded.offset = 100
  expect(store.load('r')).toEqual({ state, offset: 3 })
  expect(store.size).toBe(1)
  store.delete('r')
  expect(store.size).toBe(0)
})
