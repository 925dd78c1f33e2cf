import { describe, expect, test } from 'vitest'
import { MemoryPresenceStore } from '../src/MemoryPresenceStore.js'

describe('MemoryPresenceStore', () => {
  test('counts connections per user: first in, last out', () => {
    const p = new MemoryPresenceStore()
    expect(p.add('r', { key: 'id:1', name: 'ann' })).toEqual({ first: true, count: 1 })
    expect(p.add('r', { key: 'id:1', name: 'ann' })).toEqual({ first: false, count: 1 })
    expect(p.add('r', { key: 'id:2', name: 'bob' })).toEqual({ first: true, count: 2 })
    expect(p.remove('r', 'id:1')).toEqual({ last: false, count: 2 })
    expect(p.remove('r', 'id:1')).toEqual({ last: true, count: 1 })
    expect(p.list('r', 10)).toEqual({ users: ['bob'], count: 1 })
  })

  test('a name held by another user is taken', () => {
    const p = new MemoryPresenceStore()
    p.add('r', { key: 'anon:c1', name: 'ann' })
    expect(p.add('r', { key: 'anon:c2', name: 'ann' })).toEqual({ taken: true })
    expect(p.add('other', { key: 'anon:c2', name: 'ann' })).toEqual({ first: true, count: 1 })
  })

  test('list keeps join order and caps names but not the count; rooms lists user counts', () => {
    const p = new MemoryPresenceStore()
    for (const n of ['a', 'b', 'c', 'd']) p.add('r', { key: n, name: n })
    p.add('s', { key: 'x', name: 'x' })
    expect(p.list('r', 2)).toEqual({ users: ['a', 'b'], count: 4 })
    expect(p.rooms()).toEqual([
      { id: 'r', userCount: 4 },
      { id: 's', userCount: 1 },
    ])
    p.remove('s', 'x')
    p.clear('r')
    expect(p.rooms()).toEqual([])
    expect(p.remove('r', 'a')).toEqual({ last: false, count: 0 })
  })
})
