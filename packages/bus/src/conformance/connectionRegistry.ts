import { describe, expect, onTestFinished, test } from 'vitest'
import type { ConnectionRegistry, RegisteredConnection } from '../ConnectionRegistry.js'

/** A `ConnectionRegistry` under test. */
export interface ConnectionRegistryTarget {
  /** Suite title, e.g. 'memory' or 'redis'. */
  name: string
  /** Makes the registry one test uses (tests use node, user and connection ids of their own). */
  create: () => ConnectionRegistry | Promise<ConnectionRegistry>
  /** Called after each test with what `create` made (close clients, delete keys). */
  cleanup?: (registry: ConnectionRegistry) => void | Promise<void>
  /** The node TTL the registry was given: the kit checks a silent node is forgotten, waiting generously past it. */
  nodeTtlMs: number
}

/**
 * Registers the `ConnectionRegistry` conformance suite for one implementation. Every call is
 * awaited; ids are unique to the run and `nodes()` is read for the test's own nodes only, so
 * the kit can run against a registry others share.
 */
export function connectionRegistryConformance(target: ConnectionRegistryTarget): void {
  const run = Math.random().toString(36).slice(2, 10)
  let n = 0
  const id = (what: string) => `conformance:registry:${run}:${++n}:${what}`

  async function use(): Promise<ConnectionRegistry> {
    const registry = await target.create()
    onTestFinished(() => target.cleanup?.(registry))
    return registry
  }
  const conn = (fields: Partial<RegisteredConnection> = {}): RegisteredConnection => ({
    id: id('conn'),
    name: '',
    ...fields,
  })

  describe(`ConnectionRegistry conformance: ${target.name}`, () => {
    test('counts connections by user, organisation, both, and name, across nodes', async () => {
      const r = await use()
      const [a, b] = [id('node'), id('node')]
      const [ann, bob, org] = [id('ann'), id('bob'), id('org')]
      await r.add(a, conn({ userId: ann, orgId: org, name: 'ann' }))
      await r.add(b, conn({ userId: ann, orgId: org, name: 'ann' }))
      await r.add(b, conn({ userId: bob, orgId: org, name: 'bob' }))
      await r.add(a, conn({ name: `anon-${run}` }))
      expect(await r.count({ userId: ann })).toBe(2)
      expect(await r.count({ orgId: org })).toBe(3)
      expect(await r.count({ userId: bob, orgId: org })).toBe(1)
      expect(await r.count({ userId: ann, orgId: id('other-org') })).toBe(0)
      expect(await r.count({ name: `anon-${run}` })).toBe(1)
      expect(await r.count({ userId: id('nobody') })).toBe(0)
    })

    test('an empty query and an empty name match nothing', async () => {
      const r = await use()
      const node = id('node')
      await r.add(node, conn())
      expect(await r.count({})).toBe(0)
      expect(await r.count({ name: '' })).toBe(0)
    })

    test('remove forgets a connection (twice changes nothing); add again replaces it (a rename)', async () => {
      const r = await use()
      const node = id('node')
      const user = id('user')
      const c = conn({ userId: user, name: '' })
      await r.add(node, c)
      const named = { ...c, name: `named-${run}` }
      await r.add(node, named)
      expect(await r.count({ userId: user })).toBe(1)
      expect(await r.count({ name: `named-${run}` })).toBe(1)
      await r.remove(node, named)
      await r.remove(node, named)
      expect(await r.count({ userId: user })).toBe(0)
      expect(await r.count({ name: `named-${run}` })).toBe(0)
    })

    test('locate answers the node that holds a connection, until it is removed', async () => {
      const r = await use()
      const [a, b] = [id('node'), id('node')]
      const c = conn()
      await r.add(b, c)
      await r.add(a, conn())
      expect(await r.locate(c.id)).toBe(b)
      await r.remove(b, c)
      expect(await r.locate(c.id)).toBeUndefined()
      expect(await r.locate(id('never'))).toBeUndefined()
    })

    test('heartbeat lists a node with its connection count; dropNode forgets it and its connections', async () => {
      const r = await use()
      const [a, b] = [id('node'), id('node')]
      const user = id('user')
      const c = conn({ userId: user })
      await r.heartbeat(a)
      await r.heartbeat(b)
      for (let i = 0; i < 3; i++) await r.add(a, conn())
      await r.add(b, c)
      const mine = async () =>
        (await r.nodes())
          .filter((x) => x.node === a || x.node === b)
          .sort((x, y) => (x.node < y.node ? -1 : 1))
      expect((await mine()).map((x) => [x.node, x.connections])).toEqual(
        [
          [a, 3],
          [b, 1],
        ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
      )
      for (const x of await mine()) expect(x.lastSeen).toBeGreaterThan(Date.now() - 60_000)
      await r.dropNode(b)
      expect((await mine()).map((x) => x.node)).toEqual([a])
      expect(await r.count({ userId: user })).toBe(0)
      expect(await r.locate(c.id)).toBeUndefined()
    })

    test('heartbeat answers whether the registry knew the node: false for a new or dropped one', async () => {
      const r = await use()
      const node = id('node')
      expect(await r.heartbeat(node)).toBe(false)
      expect(await r.heartbeat(node)).toBe(true)
      await r.dropNode(node)
      expect(await r.heartbeat(node)).toBe(false)
    })

    test('a node that stops beating is forgotten after the TTL, with its connections; a beating one stays', async () => {
      const r = await use()
      const [silent, alive] = [id('node'), id('node')]
      const [gone, kept] = [id('user'), id('user')]
      await r.heartbeat(silent)
      await r.heartbeat(alive)
      const lost = conn({ userId: gone })
      await r.add(silent, lost)
      await r.add(alive, conn({ userId: kept }))
      const beat = setInterval(() => void r.heartbeat(alive), Math.max(50, target.nodeTtlMs / 4))
      onTestFinished(() => clearInterval(beat))
      await expect
        .poll(async () => r.count({ userId: gone }), { timeout: target.nodeTtlMs * 4 + 5000, interval: 100 })
        .toBe(0)
      expect(await r.heartbeat(silent)).toBe(false)
      await r.dropNode(silent)
      expect(await r.locate(lost.id)).toBeUndefined()
      const nodes = (await r.nodes()).map((x) => x.node)
      expect(nodes).not.toContain(silent)
      expect(nodes).toContain(alive)
      expect(await r.count({ userId: kept })).toBe(1)
    })
  })
}
