import {
  asyncStore,
  presenceStoreConformance,
  roomLogConformance,
  roomStateStoreConformance,
} from '@hubbub/rooms/conformance'
import { onTestFailed } from 'vitest'
import { MemoryPresenceStore } from '../src/MemoryPresenceStore.js'
import { MemoryRoomLog } from '../src/MemoryRoomLog.js'
import { MemoryRoomStateStore } from '../src/MemoryRoomStateStore.js'

// A new seed per run; HUBBUB_SEED=<n> replays a run's delays (the failing test prints it).
const base = Number(process.env.HUBBUB_SEED ?? Math.floor(Math.random() * 2 ** 32))
let made = 0
function delayed<T extends object>(store: T) {
  const seed = (base + ++made) >>> 0
  onTestFailed(() => console.error(`asyncStore seed ${seed}; rerun this file with HUBBUB_SEED=${base}`))
  return asyncStore(store, { seed })
}

roomLogConformance({
  name: 'MemoryRoomLog',
  create: () => new MemoryRoomLog(),
  keeps: 100,
  binaryPayloads: true,
})
roomLogConformance({
  name: 'MemoryRoomLog (size 10, retain)',
  create: () => new MemoryRoomLog({ size: 10, retain: true }),
  keeps: 10,
  binaryPayloads: true,
})
roomLogConformance({
  name: 'asyncStore(MemoryRoomLog)',
  create: () => delayed(new MemoryRoomLog({ size: 20 })),
  keeps: 20,
})
roomLogConformance({
  name: 'asyncStore(MemoryRoomLog (size 10, retain))',
  create: () => delayed(new MemoryRoomLog({ size: 10, retain: true })),
  keeps: 10,
})

roomStateStoreConformance({
  name: 'MemoryRoomStateStore',
  create: () => new MemoryRoomStateStore(),
  epochs: true,
})
roomStateStoreConformance({
  name: 'asyncStore(MemoryRoomStateStore)',
  create: () => delayed(new MemoryRoomStateStore()),
  epochs: true,
})

// A TTL long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500
presenceStoreConformance({
  name: 'MemoryPresenceStore',
  create: () => new MemoryPresenceStore({ nodeTtlMs }),
  nodeTtlMs,
})
presenceStoreConformance({
  name: 'asyncStore(MemoryPresenceStore)',
  create: () => delayed(new MemoryPresenceStore({ nodeTtlMs })),
  nodeTtlMs,
})
