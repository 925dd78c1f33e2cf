import type { PresenceAdd, PresenceRemove, PresenceStore } from '@hubbub/rooms'
import type { Cluster } from 'ioredis'
import { type PresenceKeys, presenceKeys } from './presence/presenceKeys.js'
import { defineScripts, runScript } from './presence/scriptCommands.js'
import {
  closeRedis,
  isCluster,
  openRedis,
  type RedisClient,
  type RedisConnectionTarget,
} from './redisConnection.js'

type PresenceEntry = Parameters<PresenceStore['add']>[1]
type PresenceListener = Parameters<PresenceStore['onDiff']>[0]
type PresenceDiff = Parameters<PresenceListener>[0]

export interface RedisPresenceStoreOptions {
  /**
   * A Redis URL, ioredis options, a Cluster (`{ cluster: [nodes…] }`), or a client whose options
   * to copy. Either way the store opens two connections of its own (one for commands, one
   * subscribed to the change feed) and closes them in `close()`. Default `redis://127.0.0.1:6379`.
   */
  redis?: RedisConnectionTarget
  /** Starts every key and the feed's channel; nodes that share presence use the same one. Default `hubbub`. */
  prefix?: string
  /**
   * A node whose heartbeats stop for this long is dropped by any node that checks: its users
   * leave, announced once. Each `heartbeat(node)` renews it; keep it a few heartbeat intervals
   * long (the server beats every `presenceHeartbeatMs`, default 5,000 ms). Default 15,000 ms.
   */
  nodeTtlMs?: number
  /** How often this store looks for silent nodes (besides on every heartbeat); 0 never. Default 5,000 ms. */
  checkEveryMs?: number
  /** A failed background step (a check for silent nodes, a connection error). Default: `console.error`. */
  onError?: (err: unknown) => void
}

/**
 * `PresenceStore` on Redis, shared by every node that uses the same prefix. Each change of a
 * room is one Lua script that also publishes the change on the feed's channel, so every node's
 * listeners hear every change once, in the order Redis applied them. A node's heartbeat is a
 * key with a TTL; any node drops the entries of a node whose key ran out, room by room in
 * scripts that remove and report together, so each user of a dead node leaves exactly once.
 *
 * Each script touches one Cluster slot: a room's keys share `{prefix:room}`, the store-wide
 * ones (rooms index, nodes, heartbeats, the rooms of each node) share `{prefix}`. So a change is
 * the room's script, then the index's: the rooms index follows the room by version, and a node
 * adds a room to its own list before its first entry there and removes it after its last (one
 * change per node and room at a time). The feed is classic pub/sub, which Redis forwards to
 * every master of a Cluster.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly prefix: string
  readonly nodeTtlMs: number
  readonly #keys: PresenceKeys
  readonly #redis: RedisClient
  readonly #subscriber: RedisClient
  /** The tail of the changes in flight per node and room, so they run one after the other. */
  readonly #serial = new Map<string, Promise<unknown>>()
  /** Markers `onDiff` waits for on a Cluster, by payload. */
  readonly #markers = new Map<string, () => void>()
  readonly #subscribed: Promise<unknown>
  readonly #listeners = new Set<PresenceListener>()
  readonly #onError: (err: unknown) => void
  readonly #timer: ReturnType<typeof setInterval> | undefined
  #checking: Promise<string[]> | undefined
  #closed: Promise<void> | undefined

  constructor(options: RedisPresenceStoreOptions = {}) {
    this.prefix = options.prefix ?? 'hubbub'
    this.nodeTtlMs = options.nodeTtlMs ?? 15_000
    this.#keys = presenceKeys(this.prefix)
    this.#onError = options.onError ?? ((err) => console.error('[@hubbub/redis] presence store error', err))
    const given = options.redis ?? 'redis://127.0.0.1:6379'
    // Presence commands may wait for a Redis that comes back (ioredis' defaults), unlike the log.
    const patient = { maxRetriesPerRequest: 20, autoResendUnfulfilledCommands: true }
    this.#redis = openRedis(given, { connectionName: 'hubbub-presence', ...patient }, {}, 'queued')
    this.#subscriber = openRedis(given, { connectionName: 'hubbub-presence-sub', ...patient }, {}, 'queued')
    for (const connection of [this.#redis, this.#subscriber]) connection.on('error', this.#onError)
    defineScripts(this.#redis)
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#keys.channel) return
      if (message.startsWith(MARKER)) this.#markers.get(message)?.()
      else this.#receive(message)
    })
    const subscriber = this.#subscriber
    // On a Cluster, subscribed once it knows its nodes: ioredis may pick another subscriber
    // connection when the first slot map arrives, and a subscription still in flight on the
    // one it drops is not carried over.
    this.#subscribed = isCluster(subscriber)
      ? whenReady(subscriber).then(() => subscriber.subscribe(this.#keys.channel))
      : subscriber.subscribe(this.#keys.channel)
    this.#subscribed.catch(this.#onError)
    const every = options.checkEveryMs ?? 5000
    if (every > 0) {
      this.#timer = setInterval(() => void this.purgeExpired().catch(this.#onError), every)
      this.#timer.unref?.()
    }
  }

  async add(roomId: string, entry: PresenceEntry): Promise<PresenceAdd | { taken: true }> {
    const k = this.#keys
    return this.#inTurn(entry.node, roomId, async () => {
      // Listed with the entry, sent first: a node that dies right after its first entry in a
      // room still has the room purged. (One connection on a single Redis keeps that order.)
      const [, [state, count, version, held]] = await Promise.all([
        this.#redis.sadd(k.nodeRooms(entry.node), roomId),
        runScript(
          this.#redis,
          'hubbubPresenceAdd',
          [k.users(roomId), k.names(roomId), k.entries(roomId, entry.node)],
          [roomId, entry.key, entry.name, entry.node, entry.connection, k.channel],
        ) as Promise<[number, number, string, number]>,
      ])
      await this.#settle(entry.node, roomId, held, count, version)
      if (state < 0) return { taken: true } as const
      return { first: state === 1, count }
    })
  }

  async remove(roomId: string, entry: PresenceEntry): Promise<PresenceRemove> {
    const k = this.#keys
    return this.#inTurn(entry.node, roomId, async () => {
      const [last, count, version, held] = (await runScript(
        this.#redis,
        'hubbubPresenceRemove',
        [k.users(roomId), k.names(roomId), k.entries(roomId, entry.node)],
        [roomId, entry.key, entry.node, entry.connection, k.channel],
      )) as [number, number, string, number]
      await this.#settle(entry.node, roomId, held, count, version)
      return { last: last === 1, count }
    })
  }

  /** One round trip: the names and the count, read together in a `MULTI`. */
  async list(roomId: string, limit: number): Promise<{ users: string[]; count: number }> {
    const names = this.#keys.names(roomId)
    if (limit <= 0) return { users: [], count: await this.#redis.zcard(names) }
    const replies = await this.#redis
      .multi()
      .zrange(names, 0, limit - 1)
      .zcard(names)
      .exec()
    const [users, count] = unwrap(replies) as [string[], number]
    return { users, count }
  }

  /** One round trip: the hash of non-empty rooms the scripts keep, with their user counts. */
  async rooms(): Promise<{ id: string; userCount: number }[]> {
    const all = await this.#redis.hgetall(this.#keys.rooms)
    return Object.entries(all).map(([id, count]) => ({ id, userCount: Number(count) }))
  }

  /** Renews `node`'s heartbeat key for `nodeTtlMs`, then drops any node whose key ran out. */
  async heartbeat(node: string): Promise<void> {
    const k = this.#keys
    await runScript(
      this.#redis,
      'hubbubPresenceHeartbeat',
      [k.heartbeat(node), k.nodes],
      [node, String(this.nodeTtlMs)],
    )
    await this.purgeExpired()
  }

  async dropNode(node: string): Promise<void> {
    await this.#drop(node, false)
  }

  /**
   * Drops every node whose heartbeat ran out (this store also does it every `checkEveryMs`
   * and after each heartbeat); answers the nodes it found. Checks already running are joined.
   */
  purgeExpired(): Promise<string[]> {
    this.#checking ??= this.#purgeExpired().finally(() => {
      this.#checking = undefined
    })
    return this.#checking
  }

  /**
   * Reports changes made after it resolves. The `PING` on the subscribed connection answers
   * after every message already on its way to it, so a change made before `onDiff` was called
   * (its diff still in flight) is not reported to the new listener. On a Cluster a diff may still
   * be crossing the cluster bus from another master: a marker is published through every master
   * instead, and waited for (each master forwards in order).
   */
  async onDiff(listener: PresenceListener): Promise<() => void> {
    await this.#subscribed
    if (isCluster(this.#redis)) await this.#flushCluster(this.#redis)
    else await this.#subscriber.ping()
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Stops the check timer and closes both connections. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#timer !== undefined) clearInterval(this.#timer)
      this.#listeners.clear()
      await this.#checking?.catch(() => undefined)
      await Promise.allSettled([closeRedis(this.#subscriber), closeRedis(this.#redis)])
    })()
    return this.#closed
  }

  async #purgeExpired(): Promise<string[]> {
    const k = this.#keys
    const silent = (await runScript(
      this.#redis,
      'hubbubPresenceExpired',
      [k.nodes],
      [k.heartbeatPrefix],
    )) as string[]
    for (const node of silent) await this.#drop(node, true)
    return silent
  }

  /**
   * Purges the node room by room (each room's purge is atomic: whoever runs it first reports
   * the leavers, a second purger finds nothing), then forgets the node once it has no entries.
   */
  async #drop(node: string, expiredOnly: boolean): Promise<void> {
    const k = this.#keys
    const flag = expiredOnly ? '1' : '0'
    // Bounded: entries the node adds while being dropped (it was alive after all) stay for next time.
    for (let round = 0; round < 3; round++) {
      // The check and each room's purge are separate steps (other slots): a node that beats
      // again in between loses the entries of the rooms purged meanwhile.
      if (expiredOnly && (await this.#redis.exists(k.heartbeat(node))) === 1) return
      const rooms = await this.#redis.smembers(k.nodeRooms(node))
      await Promise.all(rooms.map((roomId) => this.#purgeRoom(node, roomId)))
      const forgot = (await runScript(
        this.#redis,
        'hubbubPresenceForgetNode',
        [k.nodeRooms(node), k.nodes, k.heartbeat(node)],
        [node, flag],
      )) as number
      if (forgot !== 0) return
    }
  }

  async #purgeRoom(node: string, roomId: string): Promise<void> {
    const k = this.#keys
    await this.#inTurn(node, roomId, async () => {
      const [, count, version] = (await runScript(
        this.#redis,
        'hubbubPresencePurgeRoom',
        [k.users(roomId), k.names(roomId), k.entries(roomId, node)],
        [roomId, node, k.channel],
      )) as [number, number, string]
      await this.#settle(node, roomId, 0, count, version)
    })
  }

  /** The store-wide steps after a room's script: the node's list of rooms, and the rooms index. */
  async #settle(node: string, roomId: string, held: number, count: number, version: string): Promise<void> {
    await Promise.all([
      held === 0 ? this.#redis.srem(this.#keys.nodeRooms(node), roomId) : undefined,
      version === '' ? undefined : this.#index(roomId, count, version),
    ])
  }

  /** Writes a room's count into the rooms index, unless a later change of the room got there first. */
  async #index(roomId: string, count: number, version: string): Promise<void> {
    const k = this.#keys
    await runScript(
      this.#redis,
      'hubbubPresenceIndex',
      [k.rooms, k.roomVersions, k.emptied],
      [roomId, String(count), version, String(INDEX_HORIZON_MS)],
    )
  }

  /** Runs `step` after the steps already queued for this node and room (this store's own). */
  #inTurn<T>(node: string, roomId: string, step: () => Promise<T>): Promise<T> {
    const id = `${node}\0${roomId}`
    const run = (this.#serial.get(id) ?? Promise.resolve()).then(step, step)
    const tail = run.catch(() => undefined)
    this.#serial.set(id, tail)
    void tail.then(() => {
      if (this.#serial.get(id) === tail) this.#serial.delete(id)
    })
    return run
  }

  async #flushCluster(cluster: Cluster): Promise<void> {
    const deadline = Date.now() + MARKER_WAIT_MS
    for (;;) {
      if (await this.#markAll(cluster, MARKER_ROUND_MS)) return
      if (Date.now() > deadline) return
      // A marker went missing: the subscription may have been lost with a replaced connection.
      await this.#subscriber.subscribe(this.#keys.channel)
    }
  }

  /** Publishes a marker through every master; answers whether all came back within `ms`. */
  async #markAll(cluster: Cluster, ms: number): Promise<boolean> {
    const token = `${MARKER}${Math.random().toString(36).slice(2)}:`
    const masters = cluster.nodes('master')
    const arrived = masters.map(
      (_, i) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms)
          this.#markers.set(`${token}${i}`, () => {
            clearTimeout(timer)
            resolve(true)
          })
        }),
    )
    try {
      await Promise.all(masters.map((m, i) => m.publish(this.#keys.channel, `${token}${i}`)))
      return (await Promise.all(arrived)).every(Boolean)
    } finally {
      for (let i = 0; i < masters.length; i++) this.#markers.delete(`${token}${i}`)
    }
  }

  #receive(message: string): void {
    let diff: PresenceDiff
    try {
      const raw = JSON.parse(message) as Record<string, unknown>
      // cjson encodes an empty Lua table as an object: an empty list.
      const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : [])
      diff = {
        roomId: String(raw.roomId),
        node: String(raw.node),
        joined: list(raw.joined),
        left: list(raw.left),
        count: Number(raw.count),
      }
    } catch (err) {
      this.#onError(err)
      return
    }
    for (const listener of this.#listeners) {
      try {
        listener(diff)
      } catch (err) {
        console.error('[@hubbub/redis] a presence listener threw (listeners must not)', err)
      }
    }
  }
}

/** How long the rooms index remembers the version of a room that emptied. */
const INDEX_HORIZON_MS = 60_000

/** Starts the feed's markers (`onDiff` on a Cluster), which are not diffs. */
const MARKER = '~marker:'
/** How long `onDiff` waits for its markers at most (a master that does not answer must not hang it). */
const MARKER_WAIT_MS = 5000
/** How long one round of markers may take before the feed is subscribed again and they are sent again. */
const MARKER_ROUND_MS = 1000

/** Resolves once a Cluster client is ready. */
function whenReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => cluster.once('ready', () => resolve()))
}

/** The replies of a `MULTI`/pipeline, throwing the first error among them. */
function unwrap(replies: [Error | null, unknown][] | null): unknown[] {
  if (replies === null) throw new Error('presence transaction was aborted')
  return replies.map(([err, value]) => {
    if (err) throw err
    return value
  })
}
