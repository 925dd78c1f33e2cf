import { afterAll, describe, expect, it } from 'vitest'
import { checkDelivery, faultMessages, publish, Receiver } from './deliveryCheck.js'
import { ownRedis, startNode, testClient } from './nodes.js'
import { clientIds, killClients, namedTarget } from './redisClients.js'
import { deletePrefix, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('checker')
const publishers = ['p1', 'p2', 'p3', 'p4']
// Clients pace their sends under the server's rate limit (about 19 a second each).
const timeout = 30_000 + faultMessages * 150

/** `nodes` servers on one Redis, 4 publishers spread over them and one more member per node, all in `room`. */
async function cluster(urls: string[], room: string) {
  const receivers: Receiver[] = []
  const rooms = []
  for (const [i, name] of [...publishers, ...urls.map((_, k) => `r${k + 1}`)].entries()) {
    // Sends refused while Redis is away are tried again for a while (the same id each time).
    const client = testClient(urls[i % urls.length]!, { resendUnavailable: 100 })
    const joined = await client.join(room, { username: name })
    receivers.push(new Receiver(name, joined))
    rooms.push(joined)
  }
  return { receivers, rooms }
}

describe.skipIf(redisSkipReason !== undefined)('(publisher, seq) delivery under Redis faults', () => {
  afterAll(() => deletePrefix(prefix))

  it(
    "CLIENT KILL of the nodes' Redis connections mid-stream: no duplicate, no reordering, no silent loss",
    async () => {
      const names = [1, 2, 3].map((n) => uniquePrefix(`checker-node${n}`))
      const nodes = await Promise.all(names.map((name) => startNode(prefix, { redis: namedTarget(name) })))
      const { receivers, rooms } = await cluster(
        nodes.map((n) => n.url),
        'checked',
      )
      let done = false
      let kills = 0
      const killing = (async () => {
        for (let i = 0; !done; i++) {
          // One node at a time: its log's command and subscriber connections (and its bus's), by id.
          const name = names[i % names.length]!
          const ids = [...(await clientIds(name, false)), ...(await clientIds(name, true))]
          await killClients(ids)
          kills += ids.length
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      })()
      const published = await Promise.all(
        publishers.map((name, i) => publish(rooms[i]!, name, faultMessages)),
      )
      done = true
      await killing
      const report = await checkDelivery(receivers, published)
      console.log(JSON.stringify({ test: 'client-kill', perPublisher: faultMessages, kills, ...report }))
      expect(kills).toBeGreaterThan(0)
      expect(report.confirmed).toBeGreaterThan(0)
    },
    timeout,
  )

  it(
    'a Redis of its own restarted without persistence mid-stream: no duplicate, no reordering, every loss a gap',
    async () => {
      const redis = await ownRedis()
      const nodes = await Promise.all([1, 2].map(() => startNode('checker', { redis: redis.url })))
      const { receivers, rooms } = await cluster(
        nodes.map((n) => n.url),
        'restarted',
      )
      const publishing = Promise.all(publishers.map((name, i) => publish(rooms[i]!, name, faultMessages)))
      // Restart once the stream is well under way.
      await expect
        .poll(() => receivers[0]!.arrivals.length, { timeout: 30_000 })
        .toBeGreaterThanOrEqual(Math.min(faultMessages, 20))
      await redis.stop()
      await redis.start()
      const published = await publishing
      const report = await checkDelivery(receivers, published)
      console.log(JSON.stringify({ test: 'restart', perPublisher: faultMessages, ...report }))
      // Every member was moved to the new epoch.
      for (const room of rooms) expect(room.epoch).toBe(rooms[0]!.epoch)
      expect(receivers.every((r) => r.gaps.some((g) => g.reason === 'epoch'))).toBe(true)
    },
    timeout,
  )
})
