import { describe, expect, test, vi } from 'vitest'
import { MemoryPresenceStore } from '../src/MemoryPresenceStore.js'
import type { PresenceDiff } from '../src/PresenceStore.js'

// The shared behaviour is in the conformance kit (conformance.test.ts); these are the memory store's own.
describe('MemoryPresenceStore', () => {
  test('the compact single-connection form grows to a connection map and back out, by entry', () => {
    const p = new MemoryPresenceStore()
    // Anonymous on the first node: stored as the key alone.
    expect(p.add('r', { key: 'c1', name: 'ann', connection: 'c1', node: 'home' })).toEqual({
      first: true,
      count: 1,
    })
    // The same connection id on another node is another entry of that user.
    expect(p.add('r', { key: 'c1', name: 'ann', connection: 'c1', node: 'away' })).toEqual({
      first: false,
      count: 1,
    })
    expect(p.remove('r', { key: 'c1', name: 'ann', connection: 'c1', node: 'home' })).toEqual({
      last: false,
      count: 1,
    })
    p.dropNode('home')
    expect(p.list('r', 10)).toEqual({ users: ['ann'], count: 1 })
    p.dropNode('away')
    expect(p.list('r', 10)).toEqual({ users: [], count: 0 })
    expect(p.rooms()).toEqual([])
  })

  test('a listener that throws does not stop the change or the other listeners, and is reported', () => {
    const p = new MemoryPresenceStore()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const seen: PresenceDiff[] = []
    p.onDiff(() => {
      throw new Error('listener bug')
    })
    const off = p.onDiff((d) => seen.push(d))
    expect(p.add('r', { key: 'k', name: 'ann', connection: 'c', node: 'n' })).toEqual({
      first: true,
      count: 1,
    })
    expect(seen).toEqual([{ roomId: 'r', node: 'n', joined: ['ann'], left: [], count: 1 }])
    expect(logged.mock.calls[0]?.[1]).toMatchObject({ message: 'listener bug' })
    logged.mockRestore()
    off()
    p.remove('r', { key: 'k', name: 'ann', connection: 'c', node: 'n' })
    expect(seen).toHaveLength(1)
  })

  test('nodeTtlMs 0 never drops a silent node', () => {
    const p = new MemoryPresenceStore({ nodeTtlMs: 0 })
    p.heartbeat('quiet')
    p.add('r', { key: 'k', name: 'ann', connection: 'c', node: 'quiet' })
    p.heartbeat('other')
    expect(p.list('r', 10).count).toBe(1)
  })
})
