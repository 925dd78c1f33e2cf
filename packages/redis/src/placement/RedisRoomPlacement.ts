import {
  type OutgoingFrame,
  type RoomBehaviour,
  type RoomEffect,
  type RoomEnvironment,
  type RoomMember,
  type RoomPlacer,
  type RoomUser,
  reject,
  reply,
} from '@hubbub/rooms'
import { RedisRoomLog, readPublishedFrames } from '../RedisRoomLog.js'
import { fencedKeys, RedisRoomStateStore, readAnsweredFrames, SAVE_FENCED } from '../RedisRoomStateStore.js'
import {
  closeRedis,
  isCluster,
  openRedis,
  type RedisClient,
  type RedisConnectionTarget,
} from '../redisConnection.js'
import { ACQUIRE, ALIVE, type LeaseHolder, parseLease, RELEASE, RENEW, RENEW_MANY } from './leaseScripts.js'
import type { CallEffect, HostInput, NodeEffect, NodeMessage, OwnerMessage } from './placementMessages.js'
import { RoomHost } from './RoomHost.js'

export interface RedisRoomPlacementOptions {
  /** Where Redis is (as for the other parts of this package). Default `redis://127.0.0.1:6379`. */
  redis?: RedisConnectionTarget
  /** The application's prefix, the same as the room log's. Default `hubbub`. */
  prefix?: string
  /**
   * How long a room's lease lives without renewal: how soon a dead owner's rooms move. A node's
   * liveness key lives as long: an owner runs `onLeave` for the members of a node silent this long.
   * Default 5,000 ms.
   */
  leaseTtlMs?: number
  /**
   * How often a node renews its leases (all in one round trip on a single Redis) and its liveness
   * key, and checks that the nodes its rooms depend on are alive. Default 1,500 ms.
   */
  renewEveryMs?: number
  /** How long a node waits for an owner's answer before refusing the frame with `UNAVAILABLE`. Default 2,000 ms. */
  callTimeoutMs?: number
  /**
   * How many recent frame ids the owner remembers per connection: a frame sent again with the same
   * id (a client's resend after a timeout) gets the first answer again instead of running twice. An
   * id of 16 characters or more is remembered per user instead (a resend from a new connection of
   * the user, after a reconnect, is answered the same), the room's last `8 × recentFrameIds` such
   * ids. 0 turns this off. Default 256.
   */
  recentFrameIds?: number
  /** An owned room without connections gives its lease up after this long. Default 30,000 ms. */
  idleMs?: number
  /** Failures of background work (a renewal, a forward). Default: `console.error`. */
  onError?: (err: unknown) => void
}

interface Lease {
  readonly value: string
  /** Until when this node may act as the owner (`Date.now()`), counted from before its last renewal. */
  validUntil: number
}

interface Pending {
  resolve(result: CallEffect[] | undefined | 'gone'): void
  readonly timer: ReturnType<typeof setTimeout>
}

const UNAVAILABLE = 'the room is moving to another node; send it again'

/**
 * Runs each room of an `owned` behaviour on one node of a cluster: the first node that needs the
 * room takes its lease in Redis (with a fence that grows on every change of owner) and runs the
 * behaviour; every node forwards its members' joins, leaves and frames to the owner on the owner's
 * channel, and the owner sends each node its members' effects on that node's channel. When an
 * owner dies its lease expires and a node with members in the room takes it over.
 */
export class RedisRoomPlacement implements RoomPlacer {
  readonly #o: Required<Omit<RedisRoomPlacementOptions, 'redis'>>
  readonly #cmd: RedisClient
  readonly #sub: RedisClient
  readonly #originals = new WeakMap<RoomBehaviour, RoomBehaviour>()
  readonly #hosts = new Map<string, RoomHost>()
  readonly #leases = new Map<string, Lease>()
  readonly #owners = new Map<string, LeaseHolder>()
  /** The highest fence seen per room: effects and answers with a lower one are dropped. */
  readonly #fences = new Map<string, number>()
  readonly #acquiring = new Map<string, Promise<LeaseHolder>>()
  readonly #pending = new Map<number, Pending>()
  readonly #idle = new Map<string, ReturnType<typeof setTimeout>>()
  #env: RoomEnvironment | undefined
  /** Where snapshots are saved with their fence: the server's state store, when it is in Redis on this prefix. */
  #fencedStore: RedisRoomStateStore | undefined
  /** Where owners publish with their fence: the server's room log, when it is in Redis on this prefix. */
  #fencedLog: RedisRoomLog | undefined
  /** This node has set its liveness key once: finding it gone later means others thought it dead. */
  #alive = false
  #nodeId = ''
  #seq = 0
  #ticker: ReturnType<typeof setInterval> | undefined
  #ticking = false
  #closed = false

  constructor(options: RedisRoomPlacementOptions = {}) {
    const redis = options.redis ?? 'redis://127.0.0.1:6379'
    this.#o = {
      prefix: options.prefix ?? 'hubbub',
      leaseTtlMs: options.leaseTtlMs ?? 5000,
      renewEveryMs: options.renewEveryMs ?? 1500,
      callTimeoutMs: options.callTimeoutMs ?? 2000,
      idleMs: options.idleMs ?? 30_000,
      recentFrameIds: options.recentFrameIds ?? 256,
      onError: options.onError ?? ((err: unknown) => console.error('[@hubbub/redis placement]', err)),
    }
    this.#cmd = openRedis(redis, { connectionName: 'hubbub-placement' })
    this.#sub = openRedis(redis, {}, {}, 'queued')
    this.#cmd.on('error', this.#o.onError)
    this.#sub.on('error', this.#o.onError)
  }

  /** The fence of the lease this node holds on `roomId`, if it owns the room. */
  fenceOf(roomId: string): number | undefined {
    return this.#hosts.get(roomId)?.fence
  }

  /** Rooms this node owns. */
  get owned(): string[] {
    return [...this.#hosts.keys()]
  }

  place(behaviour: RoomBehaviour): RoomBehaviour {
    const forward = async (
      roomId: string,
      input: HostInput,
      refuse: boolean,
    ): Promise<RoomEffect[] | undefined> => {
      const answers = await this.#forward(roomId, input).catch((err: unknown) => {
        this.#o.onError(err)
        return undefined
      })
      if (answers === undefined) return refuse ? [reject('UNAVAILABLE', UNAVAILABLE)] : undefined
      return answers.map((a) => (a.kind === 'reply' ? reply(a.frame) : reject(a.code, a.message)))
    }
    const stand: RoomBehaviour = {
      name: behaviour.name,
      messages: behaviour.messages,
      placement: 'shared',
      ...(behaviour.rateLimits ? { rateLimits: behaviour.rateLimits } : {}),
      onJoin: (ctx) => forward(ctx.roomId, { kind: 'join', user: plainUser(ctx.user) }, false),
      onSync: (ctx) => forward(ctx.roomId, { kind: 'sync', user: plainUser(ctx.user) }, false),
      onLeave: (ctx) => forward(ctx.roomId, { kind: 'leave', user: plainUser(ctx.user) }, false),
      onMessage: (ctx, frame) =>
        ctx.user === null
          ? undefined
          : forward(
              ctx.roomId,
              { kind: 'message', user: plainUser(ctx.user), frame: frame as never, ...frameIdOf(ctx) },
              true,
            ),
      onText: (ctx, text) =>
        forward(ctx.roomId, { kind: 'text', user: plainUser(ctx.user), text, ...frameIdOf(ctx) }, true),
    }
    this.#originals.set(stand, behaviour)
    return stand
  }

  async start(env: RoomEnvironment): Promise<void> {
    this.#env = env
    this.#nodeId = env.nodeId
    const store = env.state
    if (store instanceof RedisRoomStateStore && store.prefix === this.#o.prefix) this.#fencedStore = store
    if (env.log instanceof RedisRoomLog && env.log.prefix === this.#o.prefix) this.#fencedLog = env.log
    // Alive before the first member is forwarded: an owner never takes this node for dead.
    await this.#beat()
    this.#sub.on('message', (channel: string, raw: string) => this.#heard(channel, raw))
    await this.#sub.subscribe(this.#nodeChannel(this.#nodeId), this.#ownersChannel())
    this.#ticker = setInterval(() => void this.#tick(), this.#o.renewEveryMs)
    this.#ticker.unref?.()
  }

  /** Gives up every lease this node holds (their rooms move on the next frame) and closes its connections. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#ticker !== undefined) clearInterval(this.#ticker)
    for (const t of this.#idle.values()) clearTimeout(t)
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.resolve('gone')
    }
    this.#pending.clear()
    const releases = [...this.#hosts].map(([roomId, host]) => {
      host.stop()
      const lease = this.#leases.get(roomId)
      return lease === undefined
        ? undefined
        : this.#cmd.eval(RELEASE, 1, this.#key(roomId, 'lease'), lease.value).catch(this.#o.onError)
    })
    this.#hosts.clear()
    releases.push(this.#cmd.del(this.#aliveKey(this.#nodeId)).then(() => undefined, this.#o.onError))
    await Promise.all(releases)
    await Promise.all([closeRedis(this.#sub), closeRedis(this.#cmd)])
  }

  #key(roomId: string, name: 'lease' | 'fence'): string {
    return `{${this.#o.prefix}:${roomId}}:${name}`
  }

  #aliveKey(node: string): string {
    return `${this.#o.prefix}:placement:alive:${node}`
  }

  /** How many answered frames a room keeps in Redis for its next owner. */
  get #keepFrames(): number {
    return this.#o.recentFrameIds * 8
  }

  /**
   * A run's snapshot and frame answer, checked against the room's fence in one script: through the
   * state store when it is in Redis on this prefix; otherwise the snapshot is saved as usual (not
   * fenced) and the answer alone is stored with the check.
   */
  async #commit(
    roomId: string,
    fence: number,
    snapshot: { state: unknown; offset: number } | undefined,
    frame: { key: string; answers: CallEffect[] } | undefined,
  ): Promise<boolean> {
    const answered =
      frame === undefined || this.#o.recentFrameIds <= 0
        ? undefined
        : { key: frame.key, answer: JSON.stringify(frame.answers), keep: this.#keepFrames }
    const store = this.#fencedStore
    if (store !== undefined) {
      if (snapshot === undefined && answered === undefined) return true
      return (await store.saveFenced(roomId, fence, snapshot, answered)) !== 'stale'
    }
    if (snapshot !== undefined) await this.#env!.state.save(roomId, snapshot.state, snapshot.offset)
    if (answered === undefined) return true
    const result = await this.#cmd.eval(
      SAVE_FENCED,
      4,
      ...fencedKeys(this.#o.prefix, roomId),
      fence,
      '0',
      0,
      '',
      '',
      answered.key,
      answered.answer,
      answered.keep,
    )
    return result !== 0
  }

  async #answered(roomId: string): Promise<[string, CallEffect[]][]> {
    const frames = await readAnsweredFrames(this.#cmd, this.#o.prefix, roomId)
    return frames.map(([key, answer]) => [key, JSON.parse(answer) as CallEffect[]])
  }

  #nodeChannel(node: string): string {
    return `${this.#o.prefix}:placement:node:${node}`
  }

  #ownersChannel(): string {
    return `${this.#o.prefix}:placement:owners`
  }

  /** Runs `input` on the room's owner (taking the lease when nobody holds it); undefined when no owner answered. */
  async #forward(roomId: string, input: HostInput): Promise<CallEffect[] | undefined> {
    for (let attempt = 0; attempt < 3 && !this.#closed; attempt++) {
      const holder = this.#owners.get(roomId) ?? (await this.#acquire(roomId))
      if (holder.node === this.#nodeId) {
        const host = this.#hosts.get(roomId)
        const answers = host === undefined ? undefined : await host.call(input, this.#nodeId)
        if (answers !== undefined) return answers
        this.#owners.delete(roomId)
        // A newer owner holds the room (a fenced write was refused): the frame is refused, retryable.
        if (host?.stale) {
          this.#drop(roomId, host)
          return undefined
        }
        continue
      }
      const answers = await this.#callRemote(holder, roomId, input)
      // Nobody listens on the owner's channel (it died): the room is refused until its lease expires.
      if (answers === 'gone') {
        this.#owners.delete(roomId)
        return undefined
      }
      if (answers !== undefined) return answers
      this.#owners.delete(roomId)
    }
    return undefined
  }

  async #callRemote(
    holder: LeaseHolder,
    roomId: string,
    input: HostInput,
  ): Promise<CallEffect[] | undefined | 'gone'> {
    const id = ++this.#seq
    const answered = new Promise<CallEffect[] | undefined | 'gone'>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        resolve('gone')
      }, this.#o.callTimeoutMs)
      this.#pending.set(id, { resolve, timer })
    })
    const message: NodeMessage = { t: 'call', id, from: this.#nodeId, roomId, input }
    const receivers = await this.#cmd.publish(this.#nodeChannel(holder.node), JSON.stringify(message))
    // On a Cluster, PUBLISH counts only the receiving master's subscribers (the message still reaches
    // the others over the cluster bus): 0 proves nothing there, and the call waits for its timeout.
    if (receivers === 0 && !isCluster(this.#cmd)) {
      const p = this.#pending.get(id)
      if (p !== undefined) {
        clearTimeout(p.timer)
        this.#pending.delete(id)
        p.resolve('gone')
      }
    }
    return answered
  }

  /** Takes the room's lease when it is free (then runs the room here); answers its holder either way. */
  #acquire(roomId: string): Promise<LeaseHolder> {
    let acquiring = this.#acquiring.get(roomId)
    if (acquiring === undefined) {
      acquiring = (async () => {
        const at = Date.now()
        const [taken, value] = (await this.#cmd.eval(
          ACQUIRE,
          2,
          this.#key(roomId, 'lease'),
          this.#key(roomId, 'fence'),
          this.#nodeId,
          this.#o.leaseTtlMs,
        )) as [number, string]
        const holder = parseLease(value)
        if (taken === 1) this.#run(roomId, holder, { value, validUntil: at + this.#o.leaseTtlMs })
        else this.#learn(roomId, holder)
        return holder
      })().finally(() => this.#acquiring.delete(roomId))
      this.#acquiring.set(roomId, acquiring)
    }
    return acquiring
  }

  /** This node took the room's lease: starts the behaviour here and tells every node. */
  #run(roomId: string, holder: LeaseHolder, lease: Lease): void {
    const env = this.#env!
    const behaviour = this.#originals.get(env.behaviourFor(roomId))
    if (behaviour === undefined) throw new Error(`room "${roomId}" has no owned behaviour`)
    const previous = this.#fences.get(roomId)
    this.#fences.set(roomId, holder.fence)
    this.#owners.set(roomId, holder)
    this.#leases.set(roomId, lease)
    const host: RoomHost = new RoomHost({
      roomId,
      behaviour,
      fence: holder.fence,
      recentFrameIds: this.#o.recentFrameIds,
      userFrameIds: this.#keepFrames,
      log: env.log,
      publish: (frame, from) =>
        this.#fencedLog === undefined
          ? Promise.resolve(env.log.publish(roomId, frame))
          : this.#fencedLog.publishFenced(
              roomId,
              holder.fence,
              frame,
              from === undefined ? undefined : { key: from, keep: this.#keepFrames },
            ),
      state: env.state,
      holds: () => !this.#closed && this.#hosts.get(roomId) === host && Date.now() < lease.validUntil,
      deliver: (node, effects) => this.#send(node, roomId, holder.fence, effects),
      commit: (snapshot, frame) => this.#commit(roomId, holder.fence, snapshot, frame),
      answered: () => this.#answered(roomId),
      // Only a fenced log records which frame published what (an unfenced one is not this prefix's).
      published: () =>
        this.#fencedLog === undefined
          ? Promise.resolve([])
          : readPublishedFrames(this.#cmd, this.#o.prefix, roomId),
      empty: () => this.#idleLater(roomId, host),
      onError: (err) => env.observer.error?.(roomId, err),
    })
    this.#hosts.set(roomId, host)
    const announce: OwnerMessage = { t: 'owner', roomId, node: this.#nodeId, fence: holder.fence }
    this.#cmd.publish(this.#ownersChannel(), JSON.stringify(announce)).catch(this.#o.onError)
    if (previous !== undefined) this.#resync(roomId, holder)
  }

  /** What this node heard of a room's owner: a newer fence moves the room, and its members here resync. */
  #learn(roomId: string, holder: LeaseHolder): void {
    const known = this.#fences.get(roomId)
    if (known !== undefined && holder.fence < known) return
    this.#owners.set(roomId, holder)
    if (known !== undefined && holder.fence === known) return
    this.#fences.set(roomId, holder.fence)
    const mine = this.#hosts.get(roomId)
    if (mine !== undefined && mine.fence < holder.fence) this.#drop(roomId, mine)
    if (known !== undefined) this.#resync(roomId, holder)
  }

  /** The room has a new owner: this node's members are told, and registered with it (each joins and syncs). */
  #resync(roomId: string, holder: LeaseHolder): void {
    const s = this.#env?.local.get(roomId)
    if (s === undefined || s.members.size === 0) return
    const frame: OutgoingFrame = { type: 'room_resync', roomId, fence: holder.fence }
    this.#deliverLocal(roomId, [{ kind: 'broadcast', frame, exclude: [] }])
    const users = [...s.members.values()].map((m: RoomMember) => plainUser(m.user))
    this.#forward(roomId, { kind: 'members', users }).catch(this.#o.onError)
  }

  #send(node: string, roomId: string, fence: number, effects: NodeEffect[]): void {
    if (node === this.#nodeId) {
      this.#deliverLocal(roomId, effects)
      return
    }
    const message: NodeMessage = { t: 'deliver', roomId, from: this.#nodeId, fence, effects }
    this.#cmd.publish(this.#nodeChannel(node), JSON.stringify(message)).catch(this.#o.onError)
  }

  /** An owner's effects for this node's members of the room. */
  #deliverLocal(roomId: string, effects: readonly NodeEffect[]): void {
    const env = this.#env
    const s = env?.local.get(roomId)
    if (env === undefined || s === undefined) return
    for (const e of effects) {
      let json: string | undefined
      let binary: Uint8Array | undefined
      for (const member of s.members.values()) {
        const name = member.user.name
        if (
          e.kind === 'broadcast'
            ? e.exclude.includes(name)
            : e.kind === 'sendTo'
              ? e.user !== name
              : e.connectionId !== member.user.connectionId
        )
          continue
        if (member.binary && env.encodeBinary) {
          binary ??= env.encodeBinary(e.frame)
          member.send(binary)
        } else {
          json ??= env.encode(e.frame)
          member.send(json)
        }
      }
    }
  }

  #heard(channel: string, raw: string): void {
    let message: NodeMessage | OwnerMessage
    try {
      message = JSON.parse(raw) as NodeMessage | OwnerMessage
    } catch (err) {
      this.#o.onError(err)
      return
    }
    switch (message.t) {
      case 'owner':
        if (channel === this.#ownersChannel() && message.node !== this.#nodeId)
          this.#learn(message.roomId, { fence: message.fence, node: message.node })
        return
      case 'call':
        void this.#serve(message)
        return
      case 'result': {
        const p = this.#pending.get(message.id)
        if (p === undefined) return
        this.#pending.delete(message.id)
        clearTimeout(p.timer)
        const known = this.#fences.get(message.roomId) ?? 0
        // A stale owner refused the frame: it was not applied; refused here too (retryable).
        if (message.stale === true) p.resolve('gone')
        else
          p.resolve(
            message.fence === undefined || message.fence < known ? undefined : (message.effects ?? []),
          )
        return
      }
      case 'deliver': {
        const known = this.#fences.get(message.roomId)
        if (known !== undefined && message.fence < known) return
        if (known === undefined || message.fence > known)
          this.#learn(message.roomId, { fence: message.fence, node: message.from })
        this.#deliverLocal(message.roomId, message.effects)
        return
      }
    }
  }

  /** Runs another node's input on a room owned here; answers "not the owner" otherwise. */
  async #serve(m: Extract<NodeMessage, { t: 'call' }>): Promise<void> {
    const host = this.#hosts.get(m.roomId)
    const answers = host === undefined ? undefined : await host.call(m.input, m.from)
    const stale = answers === undefined && host?.stale === true
    if (stale) this.#drop(m.roomId, host!)
    const result: NodeMessage =
      answers === undefined || host === undefined
        ? { t: 'result', id: m.id, roomId: m.roomId, ...(stale ? { stale: true } : {}) }
        : { t: 'result', id: m.id, roomId: m.roomId, fence: host.fence, effects: answers }
    if (this.#closed) return
    await this.#cmd.publish(this.#nodeChannel(m.from), JSON.stringify(result)).catch(this.#o.onError)
  }

  /**
   * Every `renewEveryMs`: renews this node's liveness key and all its leases; takes over the rooms
   * with members here whose owner node stopped beating (or is unknown); and, as an owner, makes the
   * members of a silent node leave. Only one key per other node is read, never a lease per room.
   */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed) return
    this.#ticking = true
    try {
      const env = this.#env!
      const hosts = [...this.#hosts]
      const [, , dead] = await Promise.all([
        this.#beat().catch(this.#o.onError),
        this.#renewAll(hosts),
        this.#silentNodes(hosts),
      ])
      for (const [, host] of hosts) {
        if (host.stopped) continue
        for (const node of host.nodesBesides(this.#nodeId))
          if (dead.has(node)) host.call({ kind: 'nodeGone', node }, this.#nodeId).catch(this.#o.onError)
      }
      const orphans: string[] = []
      for (const [roomId, s] of env.local) {
        if (s === undefined || s.members.size === 0 || this.#hosts.has(roomId)) continue
        if (!this.#originals.has(s.behaviour)) continue
        const holder = this.#owners.get(roomId)
        if (holder === undefined || holder.node === this.#nodeId || dead.has(holder.node))
          orphans.push(roomId)
      }
      await Promise.all(orphans.map((roomId) => this.#acquire(roomId).catch(this.#o.onError)))
    } finally {
      this.#ticking = false
    }
  }

  /**
   * Renews this node's liveness key. Found gone after it was set once (this node was paused or cut
   * off for longer than the TTL): owners may have made its members leave, so it registers them again.
   */
  async #beat(): Promise<void> {
    const was = (await this.#cmd.eval(ALIVE, 1, this.#aliveKey(this.#nodeId), this.#o.leaseTtlMs)) as number
    const lapsed = this.#alive && was === 0
    this.#alive = true
    if (!lapsed || this.#env === undefined) return
    for (const [roomId, s] of this.#env.local) {
      if (s === undefined || s.members.size === 0 || this.#hosts.has(roomId)) continue
      const holder = this.#owners.get(roomId)
      if (holder === undefined || !this.#originals.has(s.behaviour)) continue
      const users = [...s.members.values()].map((m: RoomMember) => plainUser(m.user))
      this.#forward(roomId, { kind: 'members', users }).catch(this.#o.onError)
    }
  }

  /**
   * The other nodes this one depends on (the owners of its members' rooms, the nodes of its own
   * rooms' members) whose liveness key ran out: one `EXISTS` per node, whatever its number of rooms.
   */
  async #silentNodes(hosts: [string, RoomHost][]): Promise<Set<string>> {
    const nodes = new Set<string>()
    for (const [, host] of hosts) for (const node of host.nodesBesides(this.#nodeId)) nodes.add(node)
    for (const [roomId, s] of this.#env!.local) {
      if (s === undefined || s.members.size === 0) continue
      const holder = this.#owners.get(roomId)
      if (holder !== undefined && holder.node !== this.#nodeId) nodes.add(holder.node)
    }
    const dead = new Set<string>()
    await Promise.all(
      [...nodes].map(async (node) => {
        try {
          if ((await this.#cmd.exists(this.#aliveKey(node))) === 0) dead.add(node)
        } catch (err) {
          // Redis did not answer: nobody is taken for dead on that.
          this.#o.onError(err)
        }
      }),
    )
    return dead
  }

  /**
   * Renews every lease this node holds: one script for all of them on a single Redis (in slices of
   * 500 rooms), one per room on a Cluster (each lease is in its room's slot).
   */
  async #renewAll(hosts: [string, RoomHost][]): Promise<void> {
    const held: { roomId: string; host: RoomHost; lease: Lease }[] = []
    for (const [roomId, host] of hosts) {
      const lease = this.#leases.get(roomId)
      if (lease !== undefined) held.push({ roomId, host, lease })
    }
    if (held.length === 0) return
    const at = Date.now()
    const slices: (typeof held)[] = []
    if (isCluster(this.#cmd)) for (const h of held) slices.push([h])
    else for (let i = 0; i < held.length; i += 500) slices.push(held.slice(i, i + 500))
    await Promise.all(
      slices.map(async (slice) => {
        let renewed: number[]
        try {
          renewed =
            slice.length === 1
              ? [
                  (await this.#cmd.eval(
                    RENEW,
                    1,
                    this.#key(slice[0]!.roomId, 'lease'),
                    slice[0]!.lease.value,
                    this.#o.leaseTtlMs,
                  )) as number,
                ]
              : ((await this.#cmd.eval(
                  RENEW_MANY,
                  slice.length,
                  ...slice.map((h) => this.#key(h.roomId, 'lease')),
                  ...slice.map((h) => h.lease.value),
                  this.#o.leaseTtlMs,
                )) as number[])
        } catch (err) {
          // Redis did not answer: the leases run out on their own, and `holds` stops the rooms then.
          this.#o.onError(err)
          return
        }
        slice.forEach(({ roomId, host, lease }, i) => {
          if (this.#hosts.get(roomId) !== host) return
          if (renewed[i] === 1) lease.validUntil = at + this.#o.leaseTtlMs
          else this.#drop(roomId, host)
        })
      }),
    )
  }

  /** This node lost the room's lease (or gave it up): its copy stops at once. */
  #drop(roomId: string, host: RoomHost): void {
    host.stop()
    if (this.#hosts.get(roomId) !== host) return
    this.#hosts.delete(roomId)
    this.#leases.delete(roomId)
    const holder = this.#owners.get(roomId)
    if (holder?.node === this.#nodeId) this.#owners.delete(roomId)
  }

  /** The room has no connection left: it stops and gives its lease up after `idleMs`, unless someone came back. */
  #idleLater(roomId: string, host: RoomHost): void {
    clearTimeout(this.#idle.get(roomId))
    const timer = setTimeout(() => {
      this.#idle.delete(roomId)
      if (this.#hosts.get(roomId) !== host || host.connections > 0) return
      const lease = this.#leases.get(roomId)
      this.#drop(roomId, host)
      if (lease !== undefined)
        this.#cmd.eval(RELEASE, 1, this.#key(roomId, 'lease'), lease.value).catch(this.#o.onError)
    }, this.#o.idleMs)
    timer.unref?.()
    this.#idle.set(roomId, timer)
  }
}

/** The id of the client frame a handler runs for, as it travels to the owner (none for timers). */
function frameIdOf(ctx: { frameId?: string | undefined }): { frameId?: string } {
  return ctx.frameId === undefined ? {} : { frameId: ctx.frameId }
}

/** A user as it travels between nodes (a connection's user may be a richer object). */
function plainUser(user: RoomUser): RoomUser {
  return { name: user.name, userId: user.userId, orgId: user.orgId, connectionId: user.connectionId }
}
